import Papa from 'papaparse'
import { DataError, quote } from './errors.js'
import { invalidCell, isBlank, mayNotFitFloat32, parseNumber, rangeProblem, trimSpaces } from './numbers.js'
import { columnNameProblem, MISSING_HINT, type ReaderOptions, resolveColumns } from './options.js'
import type { Sink } from './sink.js'
import { textChunks } from './source.js'

/** A row (often: a quote left open) this long stops the read instead of buffering the whole file. */
const MAX_ROW_CHARS = 64 * 1024 * 1024

const DELIMITER_NAMES: Record<string, string> = { ',': 'comma', '\t': 'tab', ';': "';'", '|': "'|'" }

/**
 * Reads CSV or TSV into `sink`, streaming, and returns the header's column names.
 * papaparse's core Parser is driven chunk by chunk (not Papa.parse on a stream) so that rows come
 * back to this loop, errors propagate as exceptions, and line numbers can be tracked.
 */
export async function readDelimited(
  path: string,
  delimiter: ',' | '\t',
  options: ReaderOptions,
  sink: Sink,
): Promise<string[]> {
  const { label } = options
  const kind = delimiter === ',' ? 'CSV' : 'TSV'
  let parser: Papa.Parser | null = null
  let lineChar = '\n'
  let pending = ''
  /** File line (1-based) where `pending` starts. */
  let line = 1
  let dataRows = 0
  let header: string[] | null = null
  let target: RowTarget | null = null
  let nextParseAt = 0

  const consume = (final: boolean) => {
    if (parser === null) return
    const startLine = line
    const res = parser.parse(pending, 0, !final)
    const rows = res.data as string[][]
    // Errors in the unfinished last row may only be where the chunk was cut; it is parsed again.
    let errorRow = Number.POSITIVE_INFINITY
    let error: Papa.ParseError | undefined
    for (const e of res.errors) {
      const r = e.row ?? 0
      if ((final || r < rows.length) && r < errorRow) {
        errorRow = r
        error = e
      }
    }
    const quoted = res.errors.length > 0 || pending.includes('"')
    for (let i = 0; i < rows.length; i++) {
      if (i === errorRow && error) throw syntaxError(label, error, pending, startLine, lineChar)
      const row = rows[i] as string[]
      const rowLine = line
      line += quoted ? 1 + newlinesIn(row, lineChar) : 1
      if (row.length === 1 && (row[0] as string).trim() === '') continue
      if (target !== null) storeRow(target, row, ++dataRows, rowLine)
      else {
        header = headerNames(row, label, rowLine)
        const need = resolveColumns(options, header, delimiterHint(header, delimiter))
        target = { options, sink, need, width: header.length, delimiter, lineChar }
      }
    }
    if (error && errorRow >= rows.length) throw syntaxError(label, error, pending, startLine, lineChar)
    pending = final ? '' : pending.slice(res.meta.cursor)
    // A row still unfinished after a parse (a long quoted field) is parsed again only once the
    // text has doubled: linear time, not quadratic, however long it gets.
    nextParseAt = rows.length === 0 ? pending.length * 2 : 0
  }

  for await (const text of textChunks(path, label, kind)) {
    pending = pending.length > 0 ? pending + text : text
    if (parser === null) {
      const nl = detectNewline(pending, false)
      if (nl === null) continue
      lineChar = nl === '\r' ? '\r' : '\n'
      parser = new Papa.Parser({ delimiter, newline: nl, quoteChar: '"' })
    }
    if (pending.length < nextParseAt) continue
    consume(false)
    if (pending.length > MAX_ROW_CHARS)
      throw new DataError(
        `${label}: line ${line}: a row longer than ${MAX_ROW_CHARS / 1024 / 1024} MiB; is a quote left open?`,
      )
  }
  if (parser === null) {
    const nl = detectNewline(pending, true) ?? '\n'
    lineChar = nl === '\r' ? '\r' : '\n'
    parser = new Papa.Parser({ delimiter, newline: nl, quoteChar: '"' })
  }
  consume(true)
  if (header === null) throw new DataError(`${label}: empty file, expected a header row and data rows`)
  if (dataRows === 0) throw new DataError(`${label}: no data rows after the header`)
  return header
}

/** The header's column names, trimmed; each must be usable and given once. */
function headerNames(row: string[], label: string, rowLine: number): string[] {
  const names = row.map((f) => f.trim())
  const seen = new Map<string, number>()
  for (const [i, name] of names.entries()) {
    const problem = columnNameProblem(name)
    if (problem) throw new DataError(`${label}: line ${rowLine}, column ${i + 1} of the header: ${problem}`)
    const first = seen.get(name)
    if (first !== undefined && name !== '')
      throw new DataError(
        `${label}: duplicate column "${name}" in the header (columns ${first + 1} and ${i + 1}, line ${rowLine})`,
      )
    seen.set(name, i)
  }
  return names
}

/** Where a data row's cells go, known once the header is read. */
interface RowTarget {
  options: ReaderOptions
  sink: Sink
  /** The x then y columns' indices in a row. */
  need: number[]
  /** Fields per row: the header's. */
  width: number
  delimiter: ',' | '\t'
  lineChar: string
}

/**
 * Converts data row `dataRow`'s x and y cells (a label to its code) into row `sink.n` and keeps it,
 * or drops it when a cell is blank under dropMissing; any other problem is a DataError naming the
 * row and column.
 */
function storeRow(t: RowTarget, row: string[], dataRow: number, rowLine: number): void {
  const { options, sink, need, lineChar } = t
  if (row.length !== t.width) {
    const where = `${options.label}: row ${dataRow} (line ${rowLine})`
    // Rows a stray line break joined or split read as a wrong field count: say what it is.
    if (mixedBreak(row, lineChar)) throw new DataError(`${where}: ${mixedMessage(lineChar)}`)
    const hint = row.length > t.width ? `; quote fields that contain ${DELIMITER_NAMES[t.delimiter]}s` : ''
    throw new DataError(`${where}: expected ${t.width} fields, got ${row.length}${hint}`)
  }
  const { nx, ny } = sink
  // Built only on a problem: this runs once per row.
  const cellError = (k: number, what: string) =>
    new DataError(
      `${options.label}: row ${dataRow} (line ${rowLine}), column "${k < nx ? options.x[k] : options.y[k - nx]}": ${what}`,
    )
  sink.reserve()
  const base = sink.n
  const { labels } = sink
  let missingAt = -1
  // A label column is the last one (the only y) and is read after the numbers.
  for (let k = 0, numbers = labels === null ? need.length : nx; k < numbers; k++) {
    const s = row[need[k] as number] as string
    const v = parseNumber(s)
    if (!Number.isNaN(v)) {
      // Beyond ~3.4e38 float32 holds only Infinity, and below 1.18e-38 only 0 and subnormals,
      // either of which would poison training silently. The cheap test stays in this hot loop.
      if (mayNotFitFloat32(v)) {
        const problem = rangeProblem(v, s)
        if (problem !== null) throw cellError(k, problem)
      }
      if (k < nx) sink.x[base * nx + k] = v
      else sink.y[base * ny + k - nx] = v
    } else if (!isBlank(s)) {
      throw cellError(k, mixedBreak([s], lineChar) ? mixedMessage(lineChar) : invalidCell(s, quote))
    } else if (!options.dropMissing) {
      throw cellError(k, MISSING_HINT)
    } else if (missingAt < 0) missingAt = k
  }
  if (labels !== null) {
    const s = row[need[nx] as number] as string
    if (isBlank(s)) {
      if (!options.dropMissing) throw cellError(nx, MISSING_HINT)
      if (missingAt < 0) missingAt = nx
    } else if (missingAt < 0)
      sink.y[base] = labels.code(trimSpaces(s), dataRow, (what) =>
        cellError(nx, mixedBreak([s], lineChar) ? mixedMessage(lineChar) : what),
      )
  }
  if (missingAt < 0) sink.n++
  else sink.drop(dataRow)
}

/**
 * '\n' also serves CRLF files: the '\r' left at the end of a row is space to trimmed cells, and
 * mixed line endings still split. Only a file whose first line ends in a lone '\r' (classic Mac)
 * is split on '\r'. Null while the first line break is not known yet.
 */
function detectNewline(text: string, final: boolean): '\n' | '\r' | null {
  const cr = text.indexOf('\r')
  const lf = text.indexOf('\n')
  if (lf >= 0 && (cr < 0 || lf < cr || lf === cr + 1)) return '\n'
  if (cr >= 0 && cr + 1 < text.length) return '\r'
  return final ? '\n' : null
}

/**
 * Whether fields hold the line break the file does not use (a lone CR in a file of LF or CRLF
 * lines, an LF in a file of CR lines); a CRLF line's own CR, left at the end of its last field,
 * does not count. Asked only of rows that failed, as a quoted field may hold either.
 */
function mixedBreak(fields: readonly string[], lineChar: string): boolean {
  const other = lineChar === '\n' ? /\r(?!\n|$)/ : /\n/
  return fields.some((f) => other.test(f))
}

const mixedMessage = (lineChar: string) =>
  `${lineChar === '\n' ? 'a carriage return (\\r)' : 'a line feed (\\n)'} inside a field; the file mixes line endings (save it with one kind throughout)`

function newlinesIn(row: string[], lineChar: string): number {
  let count = 0
  for (const field of row) {
    let at = field.indexOf(lineChar)
    while (at >= 0) {
      count++
      at = field.indexOf(lineChar, at + 1)
    }
  }
  return count
}

function syntaxError(
  label: string,
  e: Papa.ParseError,
  text: string,
  startLine: number,
  lineChar: string,
): DataError {
  let line = startLine
  const end = Math.min(e.index ?? 0, text.length)
  for (let at = text.indexOf(lineChar); at >= 0 && at < end; at = text.indexOf(lineChar, at + 1)) line++
  const from = text.lastIndexOf(lineChar, end - 1) + 1
  const to = text.indexOf(lineChar, end)
  const what = mixedBreak([text.slice(from, to < 0 ? text.length : to)], lineChar)
    ? mixedMessage(lineChar)
    : e.code === 'MissingQuotes'
      ? 'a quoted field is not closed before the end of the file'
      : e.code === 'InvalidQuotes'
        ? 'a quoted field has text after its closing quote (write a quote inside quotes as "")'
        : e.message
  return new DataError(`${label}: line ${line}: ${what}`)
}

/** Suggests the delimiter the header seems to use, when it is not the one being read with. */
function delimiterHint(names: readonly string[], delimiter: string): string {
  const text = names.join(delimiter)
  const count = (d: string) => text.split(d).length - 1
  let best = delimiter
  for (const d of [',', ';', '\t', '|']) if (count(d) > count(best)) best = d
  if (best === delimiter) return ''
  const looks = `; the file looks ${DELIMITER_NAMES[best]}-separated`
  if (best === '\t') return `${looks}: read it as TSV (format 'tsv', --format-data tsv)`
  if (best === ',') return `${looks}: read it as CSV (format 'csv', --format-data csv)`
  return `${looks}: convert it to CSV (',') or TSV (tab-separated) first`
}
