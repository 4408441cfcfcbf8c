/**
 * Where a run's finished trials live, in the shape of Optuna's journal storage: read what is
 * there, append what finishes. The runner (study.ts) never knows whether a store is a file, a
 * queue or a database; an adapter only moves records, and core checks every one it reads.
 */
import type { TrainSettings } from './backend.js'
import { parseSettings, parseTrialResult } from './codec.js'
import { UserError } from './errors.js'
import { type Experiment, finalTrials, searchTrials } from './plan.js'
import type { TrialResult } from './results.js'
import type { Trial } from './trials.js'

/** `--shard i/n`: trial k of the plan belongs to shard k % n. */
export interface Shard {
  index: number
  count: number
}

/** One (spec, backend, engine) part of a run, with what it takes to rebuild it elsewhere (merge, a worker). */
export interface RunPart {
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

/** Who a run is: what must agree for finished trials to stand in for a new run's. */
export interface RunIdentity {
  runs: RunPart[]
  shard: Shard | null
}

/** A finished trial as a store keeps it, with the settings the backend applied to its job. */
export interface StoredTrial {
  specHash: string
  backend: string
  trial: TrialResult
  settings: TrainSettings
}

/** What a store read back: records not yet checked (core checks them against the plan). */
export interface StoredRun {
  /** null: the store was begun but cut short before it named its run; it holds no finished trial. */
  identity: RunIdentity | null
  records: { specHash: string; backend: string; trial: unknown; settings: unknown; where: string }[]
  /** Names what was read in messages, e.g. "'out/journal.jsonl'". */
  label: string
}

export interface TrialStore {
  /** Names the store in messages about it as a whole, e.g. "--out 'out'". */
  readonly label: string
  /** The run it holds and its finished trials; null when it holds none. */
  read(): Promise<StoredRun | null>
  /** Makes an empty store this run's. */
  begin(identity: RunIdentity): Promise<void>
  /** Keeps one finished trial durably before it resolves. */
  append(trial: StoredTrial): Promise<void>
  close(): Promise<void>
}

export const trialKey = (specHash: string, backend: string, trialId: string) =>
  `${specHash}|${backend}|${trialId}`

/** The identity of running each experiment on each backend and engine. */
export function identityOf(
  runs: { exp: Experiment; name: string; engine: { id: string } }[],
  shard: Shard | null,
): RunIdentity {
  return {
    runs: runs.map((r) => ({
      specHash: r.exp.specHash,
      data: r.exp.data.file ?? r.exp.data.name,
      dataHash: r.exp.data.sha256,
      name: r.exp.spec.name,
      source: r.exp.source,
      baseDir: r.exp.baseDir,
      raw: r.exp.raw,
      backend: r.name,
      engine: r.engine.id,
    })),
    shard,
  }
}

const key = (i: RunIdentity) =>
  JSON.stringify(i.runs.map((r) => [r.specHash, r.dataHash, r.backend, r.engine]))

/** Same specs, data, backends and engines (the shard aside). */
export const sameRuns = (a: RunIdentity, b: RunIdentity) => key(a) === key(b)

const short = (h: string) => `${h.slice(0, 12)}...`

/**
 * The one input that differs between two identities of otherwise the same runs (same spec files,
 * backends, engines): 'the spec in ...' or 'the data file ...', with both hashes; else null.
 */
export function changedInput(a: RunIdentity, b: RunIdentity): { what: string; a: string; b: string } | null {
  if (a.runs.length !== b.runs.length) return null
  for (const [i, x] of a.runs.entries()) {
    const y = b.runs[i] as RunPart
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

const show = (i: RunIdentity) =>
  i.runs.map((r) => `${r.name} (spec ${r.specHash.slice(0, 12)}) on ${r.backend}:${r.engine}`).join(', ')

/** Both runs, side by side: 'it holds ..., this run is ...'. */
export const bothRuns = (held: RunIdentity, wanted: RunIdentity) =>
  `it holds ${show(held)}, this run is ${show(wanted)}`

/** Why the run `label` holds cannot continue as `wanted`, in one line: the input that changed, else both runs. */
export function difference(label: string, held: RunIdentity, wanted: RunIdentity): string {
  const change = changedInput(held, wanted)
  if (change)
    return `${change.what} changed since the journal was written (sha256 ${change.a}, now ${change.b})`
  return `${label} is another run's journal: ${bothRuns(held, wanted)}`
}

/** Every trial a run of `exp` may store: the search, and the final runs of any grid point. */
function planned(exp: Experiment): Map<string, Trial> {
  const all = [...searchTrials(exp), ...exp.points.flatMap((_, k) => finalTrials(exp, k))]
  return new Map(all.map((t) => [t.id, t]))
}

/**
 * The stored trials, each checked before it is used: its run is one of `runs`, its id is in that
 * run's plan (same stage, point, fold and seed), and it passes core's checks of a trial result
 * (shapes, finite weights and scores where it did not diverge) and of settings. Keyed by trialKey.
 */
export function checkStored(
  stored: StoredRun,
  runs: { exp: Experiment; name: string }[],
): Map<string, StoredTrial> {
  const plans = new Map<Experiment, Map<string, Trial>>()
  const out = new Map<string, StoredTrial>()
  for (const r of stored.records) {
    const run = runs.find((x) => x.exp.specHash === r.specHash && x.name === r.backend)
    if (!run)
      throw new UserError(`${r.where}: names a spec and backend that the journal's header does not hold`)
    const { exp } = run
    if (!plans.has(exp)) plans.set(exp, planned(exp))
    const trial = parseTrialResult(r.trial, exp.spec.model.layers, `${r.where}: trial`)
    const plan = plans.get(exp)?.get(trial.id)
    if (!plan) throw new UserError(`${r.where}: trial '${trial.id}' is not in the plan of ${exp.spec.name}`)
    if (
      plan.stage !== trial.stage ||
      plan.point !== trial.point ||
      plan.fold !== trial.fold ||
      plan.seed !== trial.seed
    )
      throw new UserError(`${r.where}: trial '${trial.id}': its stage, point, fold or seed is not the plan's`)
    const settings = parseSettings(r.settings, `${r.where}: settings`)
    out.set(trialKey(r.specHash, r.backend, trial.id), {
      specHash: r.specHash,
      backend: r.backend,
      trial,
      settings,
    })
  }
  return out
}
