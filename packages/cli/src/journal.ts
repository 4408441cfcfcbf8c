/**
 * The run journal, `<out>/journal.jsonl`: a header line naming what runs (specs, backends,
 * engines, the sha256 of each spec and its data, shard), then one line per finished trial, each
 * fsync'd as it is written, so that a killed run loses at most the trial in flight. `--resume` and
 * `dualfit merge` read it back, checking every line as a results file's trials are checked.
 */
import { closeSync, existsSync, fsyncSync, openSync, truncateSync, writeSync } from 'node:fs'
import {
  type Experiment,
  finalTrials,
  MB,
  parseTrialResult,
  readBounded,
  readBoundedText,
  searchTrials,
  type Trial,
  type TrialResult,
  UserError,
} from '@dualfit/core'
import { spellNonFinite } from './io.js'

export const JOURNAL = 'journal.jsonl'
/** A rerun's journal while the finished run's result set and journal.jsonl still stand. */
export const NEXT_JOURNAL = 'journal.next.jsonl'
const VERSION = 2
/** A journal holds one line per trial, each a few KB to a few hundred KB. */
const JOURNAL_LIMIT = 512 * MB

/** One (spec, backend) pair of a run, with what it takes to rebuild it elsewhere (merge). */
export interface JournalRun {
  specHash: string
  /** The data file the spec ran on (or the built-in dataset's name), and the sha256 of its rows. */
  data: string
  dataHash: string
  name: string
  source: string
  baseDir: string
  raw: unknown
  backend: string
  engine: string
}

export interface JournalHeader {
  kind: 'dualfit.journal'
  version: typeof VERSION
  runs: JournalRun[]
  /** `--shard i/n`: this journal holds only trials k with k % n === i. */
  shard: { index: number; count: number } | null
}

export interface JournalEntry {
  specHash: string
  backend: string
  trial: TrialResult
}

/** A journal as read back: its entries not yet checked against the plan (checkEntries). */
export interface Journal {
  path: string
  header: JournalHeader
  entries: (JournalEntry & { line: number })[]
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

/** How every header line starts (JSON.stringify keeps the key order written). */
const HEADER_START = '{"kind":"dualfit.journal",'

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

function checkHeader(v: unknown, path: string): JournalHeader {
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
  if (
    s !== null &&
    !(
      isObject(s) &&
      Number.isInteger(s.index) &&
      Number.isInteger(s.count) &&
      (s.index as number) >= 0 &&
      (s.index as number) < (s.count as number)
    )
  )
    throw new UserError(`${path}: line 1: shard: expected null or {"index": i, "count": n} with 0 <= i < n`)
  return v as unknown as JournalHeader
}

/**
 * The journal at `path`; null when there is none, or when it holds no complete header line (a
 * run killed as it started): such a journal holds no finished trial, so the run starts over.
 */
export function readJournal(path: string): Journal | null {
  if (!existsSync(path)) return null
  const text = readBoundedText(path, `journal '${path}'`, JOURNAL_LIMIT, 'a journal')
  const lines = text.split('\n')
  // A run killed mid-write leaves at most one incomplete last line: it is not a finished trial.
  lines.pop()
  if (lines.length === 0) {
    // Only what a header being written looks like: any other text is a user's file, not to replace.
    if (text.startsWith(HEADER_START) || HEADER_START.startsWith(text)) return null
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
  const header = checkHeader(parsed[0], path)
  const entries: Journal['entries'] = []
  parsed.forEach((e, i) => {
    if (i === 0 || e === null) return
    if (!isObject(e) || typeof e.specHash !== 'string' || typeof e.backend !== 'string' || !isObject(e.trial))
      throw new UserError(
        `${path}: line ${i + 1}: expected {"specHash", "backend", "trial"}; the journal is damaged`,
      )
    entries.push({
      specHash: e.specHash,
      backend: e.backend,
      trial: revive(e.trial) as TrialResult,
      line: i + 1,
    })
  })
  return { path, header, entries }
}

/** Every trial a run of `exp` may journal: the search, and the final runs of any grid point. */
function planned(exp: Experiment): Map<string, Trial> {
  const all = [...searchTrials(exp), ...exp.points.flatMap((_, k) => finalTrials(exp, k))]
  return new Map(all.map((t) => [t.id, t]))
}

/**
 * The journal's trials, each checked before it is used: its run is one of `runs`, its id is in
 * that run's plan (same stage, point, fold and seed), and it passes core's checks of a trial
 * result (shapes, finite weights and scores where it did not diverge). Keyed by entryKey.
 */
export function checkEntries(
  j: Journal,
  runs: { exp: Experiment; name: string }[],
): Map<string, JournalEntry> {
  const plans = new Map<Experiment, Map<string, Trial>>()
  const out = new Map<string, JournalEntry>()
  for (const e of j.entries) {
    const where = `${j.path}: line ${e.line}`
    const run = runs.find((r) => r.exp.specHash === e.specHash && r.name === e.backend)
    if (!run)
      throw new UserError(`${where}: names a spec and backend that the journal's header does not hold`)
    const { exp } = run
    if (!plans.has(exp)) plans.set(exp, planned(exp))
    const trial = parseTrialResult(e.trial, exp.spec.model.layers, `${where}: trial`)
    const plan = plans.get(exp)?.get(trial.id)
    if (!plan) throw new UserError(`${where}: trial '${trial.id}' is not in the plan of ${exp.spec.name}`)
    if (
      plan.stage !== trial.stage ||
      plan.point !== trial.point ||
      plan.fold !== trial.fold ||
      plan.seed !== trial.seed
    )
      throw new UserError(`${where}: trial '${trial.id}': its stage, point, fold or seed is not the plan's`)
    out.set(entryKey(e.specHash, e.backend, trial.id), { specHash: e.specHash, backend: e.backend, trial })
  }
  return out
}

/** What must agree for one run's trials to stand in for another's. */
function identity(h: JournalHeader): string {
  return JSON.stringify(h.runs.map((r) => [r.specHash, r.dataHash, r.backend, r.engine]))
}

export function sameRuns(a: JournalHeader, b: JournalHeader): boolean {
  return identity(a) === identity(b)
}

const short = (h: string) => `${h.slice(0, 12)}...`

/**
 * The one input that differs between two headers of otherwise the same runs (same spec files,
 * backends, engines): 'the spec in ...' or 'the data file ...', with both hashes; else null.
 */
export function changedInput(
  a: JournalHeader,
  b: JournalHeader,
): { what: string; a: string; b: string } | null {
  if (a.runs.length !== b.runs.length) return null
  for (const [i, x] of a.runs.entries()) {
    const y = b.runs[i] as JournalRun
    if (x.backend !== y.backend || x.engine !== y.engine || x.source !== y.source) return null
    if (x.specHash !== y.specHash)
      return {
        what: `the spec in '${x.source}' (the file, or --set/--seeds/--data)`,
        a: short(x.specHash),
        b: short(y.specHash),
      }
    if (x.dataHash !== y.dataHash)
      return { what: `the data file '${x.data}'`, a: short(x.dataHash), b: short(y.dataHash) }
  }
  return null
}

/** Why two headers do not describe the same runs, in one line: the input that changed, else both runs. */
export function difference(found: JournalHeader, wanted: JournalHeader): string {
  const change = changedInput(found, wanted)
  if (change)
    return `${change.what} changed since the journal was written (sha256 ${change.a}, now ${change.b})`
  const show = (h: JournalHeader) =>
    h.runs.map((r) => `${r.name} (spec ${r.specHash.slice(0, 12)}) on ${r.backend}:${r.engine}`).join(', ')
  return `it is another run's journal: it holds ${show(found)}, this run is ${show(wanted)}`
}

export class JournalWriter {
  private constructor(private readonly fd: number) {}

  /** A new journal: the header line, then trials as they finish. */
  static start(path: string, header: JournalHeader): JournalWriter {
    const w = new JournalWriter(openSync(path, 'w'))
    w.write(header)
    return w
  }

  /** Appends to a journal read back, first cutting an incomplete last line (a killed write). */
  static continue(j: Journal): JournalWriter {
    const bytes = readBounded(j.path, `journal '${j.path}'`, JOURNAL_LIMIT, 'a journal')
    truncateSync(j.path, bytes.lastIndexOf(0x0a) + 1)
    return new JournalWriter(openSync(j.path, 'a'))
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
