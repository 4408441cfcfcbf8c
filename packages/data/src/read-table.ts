import { readDelimited } from './csv.js'
import { DataError, listColumns } from './errors.js'
import { formatFromPath, TABLE_FORMATS, type TableFormat } from './format.js'
import { readJson, readJsonLines } from './json.js'
import { LabelCodes, type Labels } from './labels.js'
import type { ReaderOptions } from './options.js'
import { Sink } from './sink.js'
import { checkReadable } from './source.js'

export interface ReadTableOptions {
  /** Default: from the extension; unknown extension -> DataError naming the file and listing the formats. */
  format?: TableFormat
  /** Feature column names, in this order. */
  x: string[]
  /** Target column names. */
  y: string[]
  /** Drop rows where any of the x/y columns is empty/null/missing instead of failing. */
  dropMissing?: boolean
  /**
   * Read the one y column as class labels (text, or numbers as text) instead of numbers: y then
   * holds each row's class index into `Table.labels.classes`.
   */
  labels?: boolean
  /** How the file is named in messages (default: the path as given). */
  label?: string
}

export interface Table {
  /** Rows kept. */
  n: number
  /** Every column name in the file, in file order. */
  columns: string[]
  /** Row-major, n * x.length. */
  x: Float32Array
  /** Row-major, n * y.length. */
  y: Float32Array
  /** Rows dropped because of missing values (0 without dropMissing). */
  dropped: number
  /** First dropped rows' numbers (1-based data rows), at most 5, for the report. */
  droppedRows: number[]
  /** With the labels option: the classes y indexes. */
  labels?: Labels
}

function checkOptions(label: string, opts: ReadTableOptions): ReaderOptions {
  const names = (key: 'x' | 'y'): string[] => {
    const list: unknown = opts[key]
    if (!Array.isArray(list) || list.length === 0)
      throw new DataError(`${label}: no ${key} columns given, expected at least one column name`)
    for (const name of list)
      if (typeof name !== 'string' || name === '')
        throw new DataError(`${label}: ${key} columns must be non-empty names, got ${JSON.stringify(name)}`)
    const twice = list.find((name, i) => list.indexOf(name) !== i)
    if (twice !== undefined) throw new DataError(`${label}: column "${twice}" is listed twice in ${key}`)
    return list
  }
  const x = names('x')
  const y = names('y')
  const both = x.find((name) => y.includes(name))
  if (both !== undefined) throw new DataError(`${label}: column "${both}" is in both x and y`)
  const labels = opts.labels === true
  if (labels && y.length !== 1)
    throw new DataError(
      `${label}: class labels need exactly one y column, got ${y.length} (${listColumns(y)})`,
    )
  return { label, x, y, dropMissing: opts.dropMissing === true, labels }
}

function chooseFormat(path: string, label: string, format: TableFormat | undefined): TableFormat {
  if (format !== undefined) {
    if (!TABLE_FORMATS.includes(format))
      throw new DataError(
        `${label}: unknown format ${JSON.stringify(format)}, expected one of ${TABLE_FORMATS.join(', ')}`,
      )
    return format
  }
  const found = formatFromPath(path)
  if (found !== null) return found
  const base = label.slice(Math.max(label.lastIndexOf('/'), label.lastIndexOf('\\')) + 1)
  const dot = base.lastIndexOf('.')
  const ext = dot > 0 ? `extension "${base.slice(dot)}"` : 'name (no extension)'
  throw new DataError(
    `${label}: cannot tell the format from the file ${ext}; expected .csv, .tsv/.tab, .json or .jsonl/.ndjson, or give the format (${TABLE_FORMATS.join(', ')})`,
  )
}

/** Reads the x and y columns (or y's class labels) of a CSV, TSV, JSON or JSON Lines file. */
export async function readTable(path: string, opts: ReadTableOptions): Promise<Table> {
  const label = opts.label ?? path
  const options = checkOptions(label, opts)
  const format = chooseFormat(path, label, opts.format)
  await checkReadable(path, label)
  const sink = new Sink(options.x.length, options.y.length, options.labels ? new LabelCodes() : null)
  let columns: string[]
  switch (format) {
    case 'csv':
    case 'tsv':
      columns = await readDelimited(path, format === 'csv' ? ',' : '\t', options, sink)
      break
    case 'json':
      columns = await readJson(path, options, sink)
      break
    case 'jsonl':
      columns = await readJsonLines(path, options, sink)
      break
  }
  if (sink.n === 0)
    throw new DataError(`${label}: all ${sink.dropped} rows have a missing x or y value, no rows left`)
  const { x, y } = sink.take()
  const table: Table = { n: sink.n, columns, x, y, dropped: sink.dropped, droppedRows: sink.droppedRows }
  if (sink.labels !== null) table.labels = sink.labels.finish(y)
  return table
}
