/**
 * The run journal, `<out>/journal.jsonl`: a header line naming what runs (specs, backends,
 * engines, shard), then one line per finished trial, each fsync'd as it is written, so that a
 * killed run loses at most the trial in flight. `--resume` and `dualfit merge` read it back.
 */
import { closeSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { type TrialResult, UserError } from '@dualfit/core'
import { spellNonFinite } from './io.js'

export const JOURNAL = 'journal.jsonl'

/** One (spec, backend) pair of a run, with what it takes to rebuild it elsewhere (merge). */
export interface JournalRun {
  specHash: string
  name: string
  source: string
  baseDir: string
  raw: unknown
  backend: string
  engine: string
}

export interface JournalHeader {
  kind: 'dualfit.journal'
  version: 1
  runs: JournalRun[]
  /** `--shard i/n`: this journal holds only trials k with k % n === i. */
  shard: { index: number; count: number } | null
}

export interface JournalEntry {
  specHash: string
  backend: string
  trial: TrialResult
}

export const entryKey = (specHash: string, backend: string, trialId: string) =>
  `${specHash}|${backend}|${trialId}`

/**
 * The non-finite numbers spellNonFinite wrote as strings, back as numbers. Only trial results
 * hold such numbers (losses, errors); elsewhere a string such as a spec named "NaN" stays one.
 */
function revive(v: unknown): unknown {
  if (v === 'Infinity') return Number.POSITIVE_INFINITY
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY
  if (v === 'NaN') return Number.NaN
  if (Array.isArray(v)) return v.map(revive)
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]))
  return v
}

export function readJournal(dir: string): { header: JournalHeader; entries: JournalEntry[] } | null {
  let text: string
  try {
    text = readFileSync(join(dir, JOURNAL), 'utf8')
  } catch {
    return null
  }
  const lines = text.split('\n')
  // A run killed mid-write leaves at most one incomplete last line: it is not a finished trial.
  if (!text.endsWith('\n')) lines.pop()
  const parsed = lines
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as unknown
      } catch {
        throw new UserError(`${join(dir, JOURNAL)}: line ${i + 1} is not JSON; the journal is damaged`)
      }
    })
  const header = parsed[0] as JournalHeader | undefined
  if (header?.kind !== 'dualfit.journal' || header.version !== 1) {
    throw new UserError(`${join(dir, JOURNAL)}: not a dualfit journal (version 1)`)
  }
  const entries = (parsed.slice(1) as JournalEntry[]).map((e) => ({
    ...e,
    trial: revive(e.trial) as TrialResult,
  }))
  return { header, entries }
}

/** What must agree for one run's trials to stand in for another's. */
function identity(h: JournalHeader): string {
  return JSON.stringify(h.runs.map((r) => [r.specHash, r.backend, r.engine]))
}

export function sameRuns(a: JournalHeader, b: JournalHeader): boolean {
  return identity(a) === identity(b)
}

/** Explains why two headers do not describe the same runs, in one line. */
export function difference(found: JournalHeader, wanted: JournalHeader): string {
  const show = (h: JournalHeader) =>
    h.runs.map((r) => `${r.name} (spec ${r.specHash.slice(0, 12)}) on ${r.backend}:${r.engine}`).join(', ')
  return `it holds ${show(found)}, this run is ${show(wanted)}`
}

export class JournalWriter {
  private constructor(private readonly fd: number) {}

  /** A new journal: the header line, then trials as they finish. */
  static start(path: string, header: JournalHeader): JournalWriter {
    const w = new JournalWriter(openSync(path, 'w'))
    w.write(header)
    return w
  }

  /** Appends to an existing journal, first cutting an incomplete last line (a killed write). */
  static continue(path: string): JournalWriter {
    const text = readFileSync(path)
    const end = text.lastIndexOf(0x0a) + 1
    if (end < text.length) truncateSync(path, end)
    return new JournalWriter(openSync(path, 'a'))
  }

  private write(value: unknown): void {
    writeSync(this.fd, `${JSON.stringify(value, spellNonFinite)}\n`)
    fsyncSync(this.fd)
  }

  append(entry: JournalEntry): void {
    this.write(entry)
  }

  close(): void {
    closeSync(this.fd)
  }
}
