/**
 * A study: several experiments on several backends, each trial kept in a TrialStore as it
 * finishes, so that a run can resume, be cut into shards and merged back, whatever the store is.
 */
import type { Backend, EngineInfo } from './backend.js'
import { UserError } from './errors.js'
import { type Experiment, shardTrials } from './plan.js'
import type { ExperimentResult } from './results.js'
import { runExperiment } from './run.js'
import {
  checkStored,
  difference,
  identityOf,
  type RunIdentity,
  type Shard,
  type StoredRun,
  type StoredTrial,
  sameRuns,
  type TrialStore,
  trialKey,
} from './store.js'
import { runTrial, type TrialRun } from './trial.js'
import type { Trial } from './trials.js'

/** One experiment on one backend and engine (`name` as the user named the backend). */
export interface StudyRun {
  exp: Experiment
  name: string
  backend: Backend
  engine: EngineInfo
}

export interface StudyOptions {
  store?: TrialStore | null
  /** Continue what the store holds: true (it must hold this run), 'if-any', or false (it must hold none). */
  resume?: boolean | 'if-any'
  /** Finished trials from elsewhere (merge: the shards'), checked already; stored before anything runs. */
  known?: StoredTrial[]
  /** Run only this slice of each experiment's trials, and stop there (no selection, no final runs). */
  shard?: Shard | null
  signal?: AbortSignal
  /** Runs one experiment's trials elsewhere (a worker pool); in-process runTrial by default. */
  runner?: (run: StudyRun) => (trial: Trial) => Promise<TrialRun>
  /** Trials in flight at once within an experiment. */
  concurrency?: number
  /**
   * Every experiment x backend pair at once rather than one after another (a queue: workers that
   * serve different backends, a GPU box and CPU boxes, work side by side). Not with a shard.
   */
  allRunsAtOnce?: boolean
  onTrial?: (run: StudyRun) => void
  /** A line for the user (e.g. that a store's half-written start was dropped). */
  note?: (line: string) => void
}

export interface StudyOutcome {
  /** A row of results per experiment, one per backend; empty for a shard. */
  rows: ExperimentResult[][]
  /** Trials run now, and trials taken from the store (or `known`). */
  fresh: number
  reused: number
}

/** The store's finished trials for this run, after checking that it is this run's. */
async function open(store: TrialStore, identity: RunIdentity, runs: StudyRun[], o: StudyOptions) {
  const found: StoredRun | null = await store.read()
  if (found?.identity === null) {
    // Cut short as it began: it holds nothing to continue, and nothing to lose by starting over.
    o.note?.(`${found.label}: holds no finished trial (its start was cut short); starting the run over`)
  } else if (found) {
    if (!o.resume)
      throw new UserError(
        `${store.label}: holds the journal of an unfinished run; add --resume to continue it, or name another folder`,
      )
    if (
      !sameRuns(found.identity, identity) ||
      JSON.stringify(found.identity.shard) !== JSON.stringify(identity.shard)
    ) {
      const option = o.resume === true ? '--resume' : store.label
      throw new UserError(`${option}: ${difference(found.label, found.identity, identity)}`)
    }
    return checkStored(found, runs)
  } else if (o.resume === true) throw new UserError(`--resume: ${store.label} holds no journal to continue`)
  await store.begin(identity)
  return new Map<string, StoredTrial>()
}

/**
 * Runs every experiment x backend pair: the stored trials are not run again, new ones are stored
 * as they finish. A shard runs its slice and stops; otherwise each pair ends in its results.
 */
export async function runStudy(rows: StudyRun[][], o: StudyOptions = {}): Promise<StudyOutcome> {
  const flat = rows.flat()
  const shard = o.shard ?? null
  const store = o.store ?? null
  const finished = store ? await open(store, identityOf(flat, shard), flat, o) : new Map()
  for (const t of o.known ?? []) {
    const k = trialKey(t.specHash, t.backend, t.trial.id)
    if (finished.has(k)) continue
    await store?.append(t)
    finished.set(k, t)
  }
  const outcome: StudyOutcome = { rows: [], fresh: 0, reused: 0 }
  /** One pair's trials, stored as they finish; its results, or null for a shard. */
  const runPair = async (r: StudyRun): Promise<ExperimentResult | null> => {
    const inner = o.runner?.(r) ?? ((t: Trial) => runTrial(r.exp, t, r.backend, r.engine.id, o.signal))
    const run = async (t: Trial): Promise<TrialRun> => {
      const known = finished.get(trialKey(r.exp.specHash, r.name, t.id))
      if (known) {
        outcome.reused++
        return { result: known.trial, settings: known.settings }
      }
      const done = await inner(t)
      await store?.append({
        specHash: r.exp.specHash,
        backend: r.name,
        trial: done.result,
        settings: done.settings,
      })
      outcome.fresh++
      return done
    }
    if (shard) {
      for (const t of shardTrials(r.exp, shard)) {
        o.signal?.throwIfAborted()
        await run(t)
        o.onTrial?.(r)
      }
      return null
    }
    return runExperiment(r.exp, r.backend, r.engine, {
      run,
      onTrial: () => o.onTrial?.(r),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.concurrency ? { concurrency: o.concurrency } : {}),
    })
  }
  const results: (ExperimentResult | null)[][] = []
  if (o.allRunsAtOnce && !shard)
    results.push(...(await Promise.all(rows.map((row) => Promise.all(row.map(runPair))))))
  else
    for (const row of rows) {
      const done: (ExperimentResult | null)[] = []
      for (const r of row) done.push(await runPair(r))
      results.push(done)
    }
  if (!shard) outcome.rows = results.map((row) => row.filter((r): r is ExperimentResult => r !== null))
  return outcome
}
