/** Running an experiment on a backend: the planned trials in stages, then the results record. */
import { createRequire } from 'node:module'
import { cpus } from 'node:os'
import type { Backend, EngineInfo } from './backend.js'
import { resolveEngine } from './engines.js'
import { type Experiment, finalTrials, searchTrials } from './plan.js'
import type { ExperimentResult, PointScore, TrialResult } from './results.js'
import { RESULTS_SCHEMA_VERSION } from './results.js'
import { scorePoints, selectPoint } from './select.js'
import { type Perturbation, runTrial, type TrialRun } from './trial.js'
import type { Stage, Trial } from './trials.js'

const CORE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version

export interface RunOptions {
  /** Called after each trial, e.g. for a progress bar. */
  onTrial?: (done: number, total: number, result: TrialResult) => void
  /** Checked between trials; an aborted run throws its reason and returns nothing. */
  signal?: AbortSignal
  /** Extra package versions for the environment record. */
  packages?: Record<string, string>
  /** Runs one trial elsewhere (e.g. a worker thread); in-process `runTrial` by default. */
  run?: (trial: Trial) => Promise<TrialRun>
  /** Trials in flight at once (default 1); results keep the planned order either way. */
  concurrency?: number
  /**
   * Every trial's job perturbed at rounding level (parity's calibration; in-process runs only,
   * not with `run`). Under init 'framework' there are no given weights and it changes nothing.
   */
  perturb?: Perturbation
}

/** An engine id is resolved here; an EngineInfo from resolveEngine keeps why it was chosen. */
const engineOf = (backend: Backend, e: string | EngineInfo) =>
  typeof e === 'string' ? resolveEngine(backend, { engine: e }) : Promise.resolve(e)

/** Trials in planned order, `concurrency` at a time, stopping between trials when aborted. */
async function runAll(
  planned: Trial[],
  run: (t: Trial) => Promise<TrialRun>,
  opts: RunOptions,
  onDone: (r: TrialResult) => void,
) {
  const out: TrialRun[] = new Array(planned.length)
  let next = 0
  const lane = async () => {
    while (next < planned.length) {
      opts.signal?.throwIfAborted()
      const i = next++
      const r = await run(planned[i] as Trial)
      out[i] = r
      onDone(r.result)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, lane))
  return out
}

function record(
  exp: Experiment,
  backend: Backend,
  engine: EngineInfo,
  runs: TrialRun[],
  selection: { scores: PointScore[]; selected: number },
  opts: RunOptions,
  t0: number,
): ExperimentResult {
  const trials = runs.map((r) => r.result)
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    kind: 'dualfit.experiment',
    spec: exp.spec,
    specHash: exp.specHash,
    data: exp.data,
    backend: {
      id: backend.id,
      version: backend.version,
      engine,
      // What the backend applied to the final model's job (the last trial): for parity and the defaults table.
      settings: runs[runs.length - 1]?.settings ?? null,
    },
    environment: {
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      cpu: cpus()[0]?.model ?? 'unknown',
      cpus: cpus().length,
      workers: Math.max(1, opts.concurrency ?? 1),
      packages: { '@dualfit/core': CORE_VERSION, [backend.id]: backend.version, ...opts.packages },
    },
    grid: { keys: exp.gridKeys, points: exp.points.map((p) => p.params) },
    selection: { score: exp.spec.selection.score, rule: exp.spec.selection.rule, ...selection },
    trials,
    totals: {
      trials: trials.length,
      steps: trials.reduce((a, t) => a + t.steps, 0),
      trainMs: trials.reduce((a, t) => a + t.timings.trainMs, 0),
      wallMs: performance.now() - t0,
    },
  }
}

/** grid x folds x seeds, model selection, refit and the early-stopping run, on one backend and engine. */
export async function runExperiment(
  exp: Experiment,
  backend: Backend,
  engineOrInfo: string | EngineInfo,
  opts: RunOptions = {},
): Promise<ExperimentResult> {
  const t0 = performance.now()
  const engineInfo = await engineOf(backend, engineOrInfo)
  const engine = engineInfo.id
  const search = searchTrials(exp)
  const total = search.length + finalTrials(exp, 0).length
  let done = 0
  if (opts.run && opts.perturb) throw new Error('runExperiment: perturb applies to in-process runs only')
  const run = opts.run ?? ((t: Trial) => runTrial(exp, t, backend, engine, opts.signal, opts.perturb))
  const onDone = (r: TrialResult) => opts.onTrial?.(++done, total, r)
  const runs = await runAll(search, run, opts, onDone)
  const scores = scorePoints(
    exp,
    runs.map((r) => r.result),
  )
  const selected =
    search.length > 0 ? selectPoint(scores, exp.spec.selection.rule, exp.spec.selection.score) : 0
  runs.push(...(await runAll(finalTrials(exp, selected), run, opts, onDone)))
  return record(exp, backend, engineInfo, runs, { scores, selected }, opts, t0)
}

/**
 * One training of the spec's own values (grid and CV aside) for one seed: `dualfit train`.
 * Stage 'refit' trains for `epochs`; 'early-stopping' applies the spec's earlyStopping rule.
 */
export async function runSingle(
  exp: Experiment,
  backend: Backend,
  engineOrInfo: string | EngineInfo,
  trial: { seed: number; stage: Exclude<Stage, 'search'> },
  opts: Pick<RunOptions, 'signal' | 'packages'> = {},
): Promise<ExperimentResult> {
  const t0 = performance.now()
  const engineInfo = await engineOf(backend, engineOrInfo)
  const engine = engineInfo.id
  opts.signal?.throwIfAborted()
  const single: Experiment = { ...exp, gridKeys: [], points: [{ params: {}, spec: exp.spec }] }
  const run = await runTrial(
    single,
    {
      id: `${trial.stage}/p0/s${trial.seed}`,
      stage: trial.stage,
      point: 0,
      params: {},
      fold: null,
      seed: trial.seed,
    },
    backend,
    engine,
    opts.signal,
  )
  return record(single, backend, engineInfo, [run], { scores: [], selected: 0 }, opts, t0)
}
