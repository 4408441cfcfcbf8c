/**
 * The file store of a run's trials: `<out>/journal.jsonl`, a header line naming the run (core's
 * RunIdentity: specs, data and spec hashes, backends, engines, shard), then one line per finished
 * trial, each fsync'd as it is written, so that a killed run loses at most the trial in flight.
 * Core reads it back through the TrialStore contract and checks every line.
 */
import { closeSync, existsSync, fsyncSync, openSync, renameSync, truncateSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import {
  isObject,
  MB,
  type RunIdentity,
  readBounded,
  type StoredRun,
  type StoredTrial,
  type TrialStore,
  toJsonLine,
  UserError,
} from '@dualfit/core'

export const JOURNAL = 'journal.jsonl'
/** A rerun's journal while the finished run's result set and journal.jsonl still stand. */
export const NEXT_JOURNAL = 'journal.next.jsonl'
/** 3: each trial line carries the settings its backend applied. */
const VERSION = 3
/** A journal holds one line per trial, each a few KB to a few hundred KB. */
const JOURNAL_LIMIT = 512 * MB
/** How every header line starts (JSON.stringify keeps the key order written). */
const HEADER_START = '{"kind":"dualfit.journal",'

function checkHeader(v: unknown, path: string): RunIdentity {
  if (!isObject(v) || v.kind !== 'dualfit.journal')
    throw new UserError(`${path}: line 1: not a dualfit journal header`)
  if (v.version !== VERSION)
    throw new UserError(
      `${path}: journal version ${String(v.version)}, this dualfit reads version ${VERSION}; start the run in a new folder`,
    )
  const text = ['specHash', 'data', 'dataHash', 'name', 'source', 'baseDir', 'backend', 'engine']
  const runs = v.runs
  if (!Array.isArray(runs) || runs.some((r) => !isObject(r) || text.some((k) => typeof r[k] !== 'string')))
    throw new UserError(`${path}: line 1: runs: expected a list of runs, each with ${text.join(', ')}`)
  const s = v.shard
  const shard =
    isObject(s) &&
    Number.isInteger(s.index) &&
    Number.isInteger(s.count) &&
    (s.index as number) >= 0 &&
    (s.index as number) < (s.count as number)
  if (s !== null && !shard)
    throw new UserError(`${path}: line 1: shard: expected null or {"index": i, "count": n} with 0 <= i < n`)
  return { runs, shard: s } as RunIdentity
}

/**
 * The journal at `path`; null when there is none. A journal with no complete header line (a run
 * killed as it started) holds no finished trial: its identity is null. `end`: the bytes of its
 * complete lines, where appending goes on.
 */
export function readJournal(path: string): (StoredRun & { end: number }) | null {
  if (!existsSync(path)) return null
  const label = `'${path}'`
  const bytes = readBounded(path, `journal '${path}'`, JOURNAL_LIMIT, 'a journal')
  const end = bytes.lastIndexOf(0x0a) + 1
  const text = bytes.toString('utf8')
  const lines = text.split('\n')
  // A run killed mid-write leaves at most one incomplete last line: it is not a finished trial.
  lines.pop()
  if (lines.length === 0) {
    // Only what a header being written looks like: any other text is a user's file, not to replace.
    if (text.startsWith(HEADER_START) || HEADER_START.startsWith(text))
      return { identity: null, records: [], label, end }
    throw new UserError(`${path}: not a dualfit journal; name another folder`)
  }
  const parsed = lines.map((l, i) => {
    try {
      return l.trim() === '' ? null : (JSON.parse(l) as unknown)
    } catch {
      if (i === 0) throw new UserError(`${path}: not a dualfit journal; name another folder`)
      throw new UserError(`${path}: line ${i + 1} is not JSON; the journal is damaged`)
    }
  })
  const identity = checkHeader(parsed[0], path)
  const records: StoredRun['records'] = []
  parsed.forEach((e, i) => {
    if (i === 0 || e === null) return
    if (!isObject(e) || typeof e.specHash !== 'string' || typeof e.backend !== 'string')
      throw new UserError(
        `${path}: line ${i + 1}: expected {"specHash", "backend", "trial", "settings"}; the journal is damaged`,
      )
    records.push({
      specHash: e.specHash,
      backend: e.backend,
      trial: e.trial,
      settings: e.settings,
      where: `${path}: line ${i + 1}`,
    })
  })
  return { identity, records, label, end }
}

/**
 * The journal of a run whose result set goes to `out`. A folder with a finished result set keeps
 * its journal.jsonl until the new set is complete: the rerun journals into journal.next.jsonl,
 * which finish() swaps in. `resume` re-reads a finished folder's journal (appending loses nothing).
 */
export class JournalStore implements TrialStore {
  readonly label: string
  /** The file read and written. */
  readonly path: string
  /** Finished trials in the file: those read, then those appended. */
  count = 0
  private fd: number | null = null
  /** The bytes of the complete lines read: a killed write's partial line is cut there. */
  private end = 0
  constructor(
    private readonly out: string,
    resume: boolean | 'if-any',
  ) {
    this.label = `--out '${out}'`
    const finished = existsSync(join(out, 'results.json'))
    const next = join(out, NEXT_JOURNAL)
    this.path = existsSync(next) ? next : !finished || resume === true ? join(out, JOURNAL) : next
  }

  async read(): Promise<StoredRun | null> {
    const found = readJournal(this.path)
    this.count = found?.records.length ?? 0
    this.end = found?.end ?? 0
    return found
  }

  async begin(identity: RunIdentity): Promise<void> {
    this.fd = openSync(this.path, 'w')
    this.write({ kind: 'dualfit.journal', version: VERSION, ...identity })
  }

  async append(t: StoredTrial): Promise<void> {
    if (this.fd === null) {
      // Continuing what read() found: first cut an incomplete last line (a killed write).
      truncateSync(this.path, this.end)
      this.fd = openSync(this.path, 'a')
    }
    this.write(t)
    this.count++
  }

  private write(value: unknown): void {
    writeSync(this.fd as number, toJsonLine(value))
    fsyncSync(this.fd as number)
  }

  async close(): Promise<void> {
    if (this.fd !== null) closeSync(this.fd)
    this.fd = null
  }

  /** Once the new result set is in place, its journal replaces the finished run's. */
  finish(): void {
    const next = join(this.out, NEXT_JOURNAL)
    if (existsSync(next)) renameSync(next, join(this.out, JOURNAL))
  }
}
