import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import { DataError, quote } from './errors.js'
import { isBlank, parseNumber, rangeProblem, trimSpaces } from './numbers.js'
import { columnNameProblem, MISSING_HINT, type ReaderOptions, resolveColumns } from './options.js'
import type { Sink } from './sink.js'
import { textChunks } from './source.js'

const EMPTY = 'empty file, expected'

function kindOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return 'an object'
  if (typeof v === 'string') return `a string ${quote(v)}`
  return `${typeof v === 'number' ? 'the number' : 'a'} ${String(v)}`
}

/** Why `v` cannot be a sample, or null (and MISSING handled by the caller). */
function valueProblem(v: unknown): string | null {
  if (typeof v === 'number') return rangeProblem(v)
  if (typeof v === 'string') {
    const hint = !Number.isNaN(parseNumber(v)) ? ' (a string: write numbers without quotes)' : ''
    return `expected a number, got ${quote(v)}${hint}`
  }
  if (typeof v === 'boolean') return `expected a number, got ${v}`
  return `expected a number, got ${kindOf(v)}`
}

/** One line of a JSON.parse error, with the line it points at when the engine tells where. */
function parseFailure(err: unknown, text: string): string {
  const message = err instanceof Error ? err.message : String(err)
  // V8 gives "at position N" for some errors (newer ones "line N column M"), nothing for others.
  const at = /position (\d+)/.exec(message)
  let where = ''
  if (at) {
    const pos = Number(at[1])
    let line = 1
    for (let i = text.indexOf('\n'); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) line++
    where = ` at line ${line}`
  } else {
    const lineCol = /\(line (\d+) column \d+\)/.exec(message)
    if (lineCol) where = ` at line ${lineCol[1]}`
  }
  const short = message.length > 100 ? `${message.slice(0, 97)}...` : message
  return `not valid JSON${where} (${short})`
}

// A JSON string, or a character that opens or closes an object or array.
const TOKEN = /"[^"\\]*(?:\\.[^"\\]*)*"|[{}[\]]/g
const COLON = /\s*:/y

/**
 * The first key that occurs twice in one object of `text` (valid JSON) and the top-level array
 * item holding it (0-based; -1 when the top is an object), or null. JSON.parse keeps the last
 * value without a word: {"meters": 1, "meters": 999} would read as 999.
 */
export function duplicateKey(text: string): { item: number; key: string } | null {
  // Per open object its keys so far; null for an open array.
  const open: (Set<string> | null)[] = []
  let item = -1
  TOKEN.lastIndex = 0
  for (let m = TOKEN.exec(text); m !== null; m = TOKEN.exec(text)) {
    const t = m[0]
    if (t === '{' || t === '[') {
      if (open.length === 1) item++
      open.push(t === '{' ? new Set() : null)
    } else if (t === '}' || t === ']') open.pop()
    else {
      const keys = open[open.length - 1]
      COLON.lastIndex = TOKEN.lastIndex
      if (!keys || !COLON.test(text)) continue
      const key: string = t.includes('\\') ? JSON.parse(t) : t.slice(1, -1)
      if (keys.has(key)) return { item, key }
      keys.add(key)
    }
  }
  return null
}

const twice = (key: string) =>
  `key ${quote(key)} appears twice in one object (JSON would keep only the last); remove or rename one`

/** A label's text: a string (trimmed; blank is missing), a number or a boolean as JSON writes it. */
function labelText(v: unknown): string | null {
  if (typeof v === 'string') return isBlank(v) ? null : trimSpaces(v)
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return null
}

/**
 * Converts one record's x and y values (a label to its code) into row `sink.n` of data row `row`;
 * returns the index of the first missing value, -1 if none. Throws a DataError for any value that
 * is present but not a usable number or label.
 */
function convert(
  record: Record<string, unknown>,
  names: string[],
  sink: Sink,
  row: number,
  where: () => string,
): number {
  sink.reserve()
  const { nx, ny, n, labels } = sink
  const fail = (k: number, problem: string) => new DataError(`${where()}, column "${names[k]}": ${problem}`)
  let missingAt = -1
  for (let k = 0; k < names.length; k++) {
    const name = names[k] as string
    // Own keys only: a column named "constructor" must not find Object.prototype's.
    const v = Object.hasOwn(record, name) ? record[name] : undefined
    if (labels !== null && k === nx) {
      // The label column is the last one (the only y).
      const text = labelText(v)
      if (text !== null) {
        if (missingAt < 0) sink.y[n] = labels.code(text, row, (what) => fail(k, what))
      } else if (v === null || v === undefined || typeof v === 'string') {
        if (missingAt < 0) missingAt = k
      } else throw fail(k, `expected a class label (a string, number or boolean), got ${kindOf(v)}`)
      continue
    }
    if (v === null || v === undefined) {
      if (missingAt < 0) missingAt = k
      continue
    }
    const problem = valueProblem(v)
    if (problem !== null) throw fail(k, problem)
    if (k < nx) sink.x[n * nx + k] = v as number
    else sink.y[n * ny + k - nx] = v as number
  }
  return missingAt
}

/** Adds the keys of `record` not seen before to `columns`, in order; each must be a usable name. */
function addColumns(record: object, seen: Set<string>, columns: string[], where: string): void {
  for (const key in record)
    if (!seen.has(key)) {
      const problem = columnNameProblem(key)
      if (problem) throw new DataError(`${where}: ${problem}`)
      seen.add(key)
      columns.push(key)
    }
}

/** Reads a JSON array of objects (whole file) into `sink`; returns the union of keys, in first-seen order. */
export async function readJson(path: string, options: ReaderOptions, sink: Sink): Promise<string[]> {
  const { label } = options
  const parts: string[] = []
  for await (const text of textChunks(path, label, 'JSON')) parts.push(text)
  const text = parts.join('')
  if (text.trim() === '') throw new DataError(`${label}: ${EMPTY} an array of objects`)
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    const lines = text.trim().startsWith('{') ? '; one object per line is JSON Lines (.jsonl)' : ''
    throw new DataError(`${label}: ${parseFailure(err, text)}${lines}`)
  }
  if (!Array.isArray(data))
    throw new DataError(`${label}: expected an array of objects at the top level, got ${kindOf(data)}`)
  if (data.length === 0) throw new DataError(`${label}: no records, the array is empty`)
  const columns: string[] = []
  const seen = new Set<string>()
  for (const [i, record] of data.entries()) {
    if (record === null || typeof record !== 'object' || Array.isArray(record))
      throw new DataError(`${label}: record ${i + 1}: expected an object, got ${kindOf(record)}`)
    addColumns(record, seen, columns, `${label}: record ${i + 1}`)
  }
  // Every item is an object by now, so the scan's item count is the record's index.
  const dup = duplicateKey(text)
  if (dup) throw new DataError(`${label}: record ${dup.item + 1}: ${twice(dup.key)}`)
  resolveColumns(options, columns)
  const names = [...options.x, ...options.y]
  for (const [i, record] of (data as Record<string, unknown>[]).entries()) {
    const missingAt = convert(record, names, sink, i + 1, () => `${label}: record ${i + 1}`)
    if (missingAt < 0) sink.n++
    else if (options.dropMissing) sink.drop(i + 1)
    else throw new DataError(`${label}: record ${i + 1}, column "${names[missingAt]}": ${MISSING_HINT}`)
  }
  return columns
}

/** Reads JSON Lines (one object per line, streamed, blank lines skipped) into `sink`; returns the union of keys. */
export async function readJsonLines(path: string, options: ReaderOptions, sink: Sink): Promise<string[]> {
  const { label } = options
  const names = [...options.x, ...options.y]
  const columns: string[] = []
  const seen = new Set<string>()
  // A key absent so far may be a misspelt column rather than a missing value: that is only known
  // at the end, so the first such miss waits until the key shows up or the file ends.
  let pendingMiss: DataError | null = null
  let pendingKey = ''
  let line = 0
  let row = 0
  const lines = createInterface({
    input: Readable.from(textChunks(path, label, 'JSON Lines')),
    crlfDelay: Number.POSITIVE_INFINITY,
  })
  try {
    for await (const text of lines) {
      line++
      if (text.trim() === '') continue
      row++
      let record: unknown
      try {
        record = JSON.parse(text)
      } catch (err) {
        throw new DataError(`${label}: line ${line}: ${parseFailure(err, text).replace(/ at line 1\b/, '')}`)
      }
      if (record === null || typeof record !== 'object' || Array.isArray(record))
        throw new DataError(
          `${label}: row ${row} (line ${line}): expected a JSON object, got ${kindOf(record)}`,
        )
      const where = `${label}: row ${row} (line ${line})`
      const dup = duplicateKey(text)
      if (dup) throw new DataError(`${where}: ${twice(dup.key)}`)
      addColumns(record, seen, columns, where)
      if (pendingMiss && seen.has(pendingKey)) throw pendingMiss
      const missingAt = convert(record as Record<string, unknown>, names, sink, row, () => where)
      if (missingAt < 0) sink.n++
      else if (options.dropMissing) sink.drop(row)
      else if (pendingMiss === null) {
        // Only the first missing value matters; report it now if its key is known to exist.
        const name = names[missingAt] as string
        const miss = new DataError(`${where}, column "${name}": ${MISSING_HINT}`)
        if (seen.has(name)) throw miss
        pendingMiss = miss
        pendingKey = name
      }
    }
  } finally {
    lines.close()
  }
  if (row === 0) throw new DataError(`${label}: ${EMPTY} one JSON object per line`)
  resolveColumns(options, columns)
  if (pendingMiss) throw pendingMiss
  return columns
}
