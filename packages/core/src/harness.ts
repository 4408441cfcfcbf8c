import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { cpus } from 'node:os'
import type { Backend, DataSplit, EngineInfo, LayerWeights, TrainJob } from './backend.js'
import { type DataInfo, type Dataset, dataHash, loadDataset, subset } from './datasets.js'
import { EarlyStopping } from './early-stopping.js'
import { UserError } from './errors.js'
import { batchOrder, kFold } from './folds.js'
import { initialWeights } from './init.js'
import { mean, mse, sd } from './metrics.js'
import type {
  ExperimentResult,
  Params,
  PointScore,
  Stage,
  Trial,
  TrialResult,
  WeightsJson,
} from './results.js'
import { RESULTS_SCHEMA_VERSION } from './results.js'
import { Rng } from './rng.js'
import { fitScaler, type Scaler, scaleSplit, unscaleModel } from './scaling.js'
import { type ExperimentSpec, parseSpec, setPath } from './spec.js'

const CORE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version

/** Fields that define the protocol itself; varying them per grid point would make scores incomparable. */
const FIXED_FIELDS = new Set([
  'name',
  'description',
  'dataset',
  'seeds',
  'grid',
  'cv',
  'selection',
  'refit',
  'report',
  'standardize',
  'split',
])

/** A validated spec with its data and grid expanded: everything a trial needs, computed once. */
export interface Experiment {
  /** The spec as given (before defaults): what a worker needs to rebuild this experiment. */
  raw: unknown
  source: string
  /** Where a file dataset's relative path starts (the spec file's folder). */
  baseDir: string
  spec: ExperimentSpec
  specHash: string
  dataset: Dataset
  /** The rows CV and refit use: all of them, or what the split left after holding out `holdout`. */
  dev: DataSplit
  /** The held-out test rows (spec `split`), never trained on. */
  holdout: DataSplit | null
  data: DataInfo
  gridKeys: string[]
  points: { params: Params; spec: ExperimentSpec }[]
  /** Report inputs as rows of `dataset.inputs` values. */
  predictRows: number[][]
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical)
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    )
  }
  return v
}

export function hashSpec(spec: ExperimentSpec): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(spec)))
    .digest('hex')
}

function cartesian(keys: string[], values: unknown[][]): Params[] {
  let out: Params[] = [{}]
  keys.forEach((k, i) => {
    out = out.flatMap((p) => (values[i] as unknown[]).map((v) => ({ ...p, [k]: v })))
  })
  return out
}

/** Test rows as scikit-learn's train_test_split: ceil(test * n) held out, from a seeded permutation. */
function splitRows(
  n: number,
  split: NonNullable<ExperimentSpec['split']>,
): { dev: Uint32Array; test: Uint32Array } {
  const nTest = Math.ceil(split.test * n)
  // Without shuffling the last rows are the test set, as train_test_split(shuffle=False).
  const test = split.shuffle
    ? new Rng(split.seed, 'split').permutation(n).subarray(0, nTest)
    : Uint32Array.from({ length: nTest }, (_, i) => n - nTest + i)
  // Development rows keep file order: a mask, not a sort (1e6 rows).
  const held = new Uint8Array(n)
  for (const i of test) held[i] = 1
  const dev = new Uint32Array(n - nTest)
  let at = 0
  for (let i = 0; i < n; i++) if (!held[i]) dev[at++] = i
  return { dev, test }
}

/**
 * Validates a spec (parsed JSON), loads its data and checks everything that depends on it;
 * UserError otherwise. A file dataset's path is relative to `baseDir`.
 */
export async function prepareExperiment(
  raw: unknown,
  source = 'spec',
  baseDir = process.cwd(),
): Promise<Experiment> {
  const spec = parseSpec(raw, source)
  const gridKeys = Object.keys(spec.grid)
  for (const k of gridKeys) {
    const root = k.split('.')[0] as string
    if (FIXED_FIELDS.has(root))
      throw new UserError(`${source}: grid."${k}": '${root}' is fixed for the whole experiment`)
  }
  const points = cartesian(
    gridKeys,
    gridKeys.map((k) => spec.grid[k] as unknown[]),
  ).map((params, i) => {
    let pointRaw = raw
    for (const [k, v] of Object.entries(params)) pointRaw = setPath(pointRaw, k, v)
    const label = Object.entries(params)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ')
    return { params, spec: parseSpec(pointRaw, `${source} (grid point ${i}: ${label})`) }
  })
  // The spec is checked in full before a possibly large file is read.
  const dataset = await loadDataset(spec.dataset, baseDir)
  for (const { spec: s } of points) checkShapes(s, dataset, source)
  let dev: DataSplit = dataset
  let holdout: DataSplit | null = null
  if (spec.split) {
    const rows = splitRows(dataset.n, spec.split)
    if (rows.dev.length < 2)
      throw new UserError(
        `${source}: split.test: ${spec.split.test} of ${dataset.n} rows leaves ${rows.dev.length} to train on, expected at least 2`,
      )
    dev = subset(dataset, rows.dev)
    holdout = subset(dataset, rows.test)
  }
  const minRows = spec.cv?.folds ?? 1
  if (dev.n < minRows) {
    const after = [
      dataset.dropped > 0 ? `dropping ${dataset.dropped} with missing values` : '',
      holdout ? `holding out ${holdout.n} for test` : '',
    ].filter(Boolean)
    throw new UserError(
      `${source}: cv.folds: expected at most ${dev.n} (the rows of ${dataset.name}${after.length ? ` after ${after.join(' and ')}` : ''}), got ${minRows}`,
    )
  }
  const predictRows = spec.report.predict.map((v, i) => {
    const row = Array.isArray(v) ? v : [v]
    if (row.length !== dataset.inputs) {
      throw new UserError(
        `${source}: report.predict[${i}]: expected ${dataset.inputs} input value(s), got ${row.length}`,
      )
    }
    return row
  })
  const data: DataInfo = {
    name: dataset.name,
    description: dataset.description,
    ...('file' in spec.dataset ? { file: spec.dataset.file } : {}),
    columns: dataset.columns,
    units: { x: dataset.inputUnits, y: dataset.outputUnits },
    rows: dataset.n,
    dropped: dataset.dropped,
    testRows: holdout?.n ?? 0,
    sha256: dataHash(dataset),
  }
  return {
    raw,
    source,
    baseDir,
    spec,
    specHash: hashSpec(spec),
    dataset,
    dev,
    holdout,
    data,
    gridKeys,
    points,
    predictRows,
  }
}

function checkShapes(s: ExperimentSpec, d: Dataset, source: string) {
  const last = s.model.layers.length - 1
  const units = s.model.layers[last]?.units
  if (units !== d.outputs) {
    throw new UserError(
      `${source}: model.layers[${last}].units: expected ${d.outputs} (the dataset's outputs), got ${units}`,
    )
  }
}

/** A search runs when there is something to choose (a grid) or to score (CV). */
function hasSearch(exp: Experiment): boolean {
  return exp.gridKeys.length > 0 || exp.spec.cv !== null
}

/** The search stage's trials: grid point x fold x seed (all rows when there is no CV). */
export function searchTrials(exp: Experiment): Trial[] {
  const { spec } = exp
  if (!hasSearch(exp)) return []
  const folds: (number | null)[] = spec.cv ? Array.from({ length: spec.cv.folds }, (_, i) => i) : [null]
  return exp.points.flatMap((p, point) =>
    folds.flatMap((fold) =>
      spec.seeds.map((seed) => ({
        id: `search/p${point}${fold === null ? '' : `/f${fold}`}/s${seed}`,
        stage: 'search' as const,
        point,
        params: p.params,
        fold,
        seed,
      })),
    ),
  )
}

/** Trials on all rows for the selected point: the refit, then the early-stopping run. */
export function finalTrials(exp: Experiment, point: number): Trial[] {
  const stages: Stage[] = []
  // Without a search, something must train: the refit, unless an early-stopping run is asked for.
  const nothingElse = !hasSearch(exp) && !exp.spec.earlyStopping
  if (exp.spec.refit || nothingElse) stages.push('refit')
  if (exp.spec.earlyStopping) stages.push('early-stopping')
  return stages.flatMap((stage) =>
    exp.spec.seeds.map((seed) => ({
      id: `${stage}/p${point}/s${seed}`,
      stage,
      point,
      params: exp.points[point]?.params ?? {},
      fold: null,
      seed,
    })),
  )
}

function rowsOf(
  exp: Experiment,
  trial: Trial,
): { train: DataSplit; test: DataSplit | null; validation?: DataSplit } {
  const d = exp.dev
  const s = exp.points[trial.point]?.spec as ExperimentSpec
  if (trial.fold !== null && s.cv) {
    const fold = kFold(d.n, s.cv.folds, s.cv.shuffle, trial.seed)[trial.fold]
    if (!fold) throw new RangeError(`fold ${trial.fold} out of range`)
    return { train: subset(d, fold.train), test: subset(d, fold.test) }
  }
  const split = trial.stage === 'early-stopping' ? s.earlyStopping?.validationSplit : undefined
  if (split !== undefined) {
    // Keras' validation_split: the last rows, before any shuffling.
    const at = Math.floor(d.n * (1 - split))
    if (at < 1 || at >= d.n) {
      throw new UserError(
        `${exp.source}: earlyStopping.validationSplit: leaves no rows on one side of ${d.n}`,
      )
    }
    const idx = Array.from({ length: d.n }, (_, i) => i)
    return { train: subset(d, idx.slice(0, at)), test: exp.holdout, validation: subset(d, idx.slice(at)) }
  }
  return { train: d, test: exp.holdout }
}

/** The job a backend runs for one trial: identical for every backend, by construction. */
export function buildJob(
  exp: Experiment,
  trial: Trial,
  engine: string,
): { job: TrainJob; test: DataSplit | null; scaler: Scaler } {
  const s = exp.points[trial.point]?.spec as ExperimentSpec
  const rows = rowsOf(exp, trial)
  const { test } = rows
  // Fitted on this trial's training rows alone, so no statistic leaks from the rows it is scored on.
  const scaler = fitScaler(rows.train, s.standardize)
  const train = scaleSplit(rows.train, scaler)
  const validation = rows.validation && scaleSplit(rows.validation, scaler)
  // Common random numbers: every grid point of a fold and seed starts from the same weights and order.
  const stream = trial.fold === null ? ['all'] : ['fold', trial.fold]
  const framework = s.init === 'framework'
  const es = trial.stage === 'early-stopping' ? s.earlyStopping : null
  const job: TrainJob = {
    engine,
    model: { inputs: exp.dataset.inputs, layers: s.model.layers },
    loss: s.loss,
    optimizer: s.optimizer,
    epochs: es?.maxEpochs ?? s.epochs,
    batchSize: s.batchSize === 'full' ? train.n : Math.min(s.batchSize, train.n),
    data: train,
    ...(validation ? { validation } : {}),
    initialWeights:
      s.init === 'framework'
        ? null
        : initialWeights(s.init, exp.dataset.inputs, s.model.layers, trial.seed, ...stream),
    order: framework ? null : batchOrder(train.n, s.shuffle, trial.seed, ...stream),
    seed: trial.seed,
    restoreBestWeights: es?.restoreBestWeights ?? false,
  }
  return { job, test, scaler }
}

function weightsJson(ws: LayerWeights[]): WeightsJson[] {
  return ws.map((w) => ({
    inputs: w.inputs,
    units: w.units,
    kernel: Array.from(w.kernel),
    bias: Array.from(w.bias),
  }))
}

/** Runs one trial on a backend; pure function of (experiment, trial, backend, engine) apart from timings. */
export async function runTrial(
  exp: Experiment,
  trial: Trial,
  backend: Backend,
  engine: string,
): Promise<TrialResult> {
  const t0 = performance.now()
  const { job, test, scaler } = buildJob(exp, trial, engine)
  const s = exp.points[trial.point]?.spec as ExperimentSpec
  const es = trial.stage === 'early-stopping' ? s.earlyStopping : null
  const rule = new EarlyStopping(es)
  const monitorVal = es?.monitor === 'val_loss'
  const result = await backend.train(job, {
    onEpochEnd: (epoch, logs) =>
      // A non-finite training loss is divergence whatever is monitored.
      rule.update(
        epoch,
        !Number.isFinite(logs.loss) ? Number.NaN : monitorVal ? (logs.valLoss ?? Number.NaN) : logs.loss,
      ),
  })
  // Scores, predictions and saved weights are all in the data's own units.
  const model = unscaleModel(result.model, scaler)
  let testMse: number | null = null
  if (test) {
    const pred = await backend.predict(model, test.x, engine)
    testMse = rule.diverged ? Number.POSITIVE_INFINITY : mse(pred, test.y)
  }
  const predictions = []
  if (trial.stage !== 'search' && exp.predictRows.length > 0) {
    const x = Float32Array.from(exp.predictRows.flat())
    const y = await backend.predict(model, x, engine)
    const outs = exp.dataset.outputs
    for (const [i, row] of exp.predictRows.entries()) {
      const yi = Array.from(y.subarray(i * outs, (i + 1) * outs))
      const exact = exp.dataset.exact?.(row)
      predictions.push({
        x: row,
        y: yi,
        ...(exact ? { exact, absError: yi.map((v, j) => Math.abs(v - (exact[j] as number))) } : {}),
      })
    }
  }
  const last = result.history.loss[result.history.loss.length - 1] ?? Number.NaN
  const totalMs = performance.now() - t0
  return {
    ...trial,
    epochs: job.epochs,
    epochsRun: result.epochsRun,
    stoppedEpoch: rule.stoppedEpoch,
    bestEpoch: rule.bestEpoch >= 0 ? rule.bestEpoch : null,
    diverged: rule.diverged,
    steps: result.steps,
    history: result.history,
    finalLoss: rule.diverged ? Number.POSITIVE_INFINITY : last,
    testMse,
    weights: weightsJson(model.weights),
    predictions,
    timings: {
      setupMs: result.timings.setupMs,
      trainMs: result.timings.trainMs,
      totalMs,
      usPerStep: result.steps > 0 ? (result.timings.trainMs * 1000) / result.steps : 0,
    },
  }
}

/** Mean score per grid point; a diverged or non-finite run makes its point score Infinity (never selected). */
export function scorePoints(exp: Experiment, trials: TrialResult[]): PointScore[] {
  const useCv = exp.spec.selection.score === 'cv_mse'
  return exp.points.map((p, point) => {
    const values = trials
      .filter((t) => t.stage === 'search' && t.point === point)
      .map((t) => (useCv ? (t.testMse ?? Number.NaN) : t.finalLoss))
    const finite = values.every(Number.isFinite)
    return {
      point,
      params: p.params,
      mean: finite ? mean(values) : Number.POSITIVE_INFINITY,
      sd: finite ? sd(values) : Number.NaN,
      values,
    }
  })
}

/** scikit-learn's `best`: lowest mean score, the first grid point on ties. */
export function selectPoint(scores: PointScore[]): number {
  let best = 0
  for (const s of scores) if (s.mean < (scores[best] as PointScore).mean) best = s.point
  return best
}

export interface RunOptions {
  /** Called after each trial, e.g. for a progress bar. */
  onTrial?: (done: number, total: number, result: TrialResult) => void
  /** Checked between trials; an aborted run throws its reason and returns nothing. */
  signal?: AbortSignal
  /** Extra package versions for the environment record. */
  packages?: Record<string, string>
  /** Runs one trial elsewhere (e.g. a worker thread); in-process `runTrial` by default. */
  run?: (trial: Trial) => Promise<TrialResult>
  /** Trials in flight at once (default 1); results keep the planned order either way. */
  concurrency?: number
}

export async function resolveEngine(backend: Backend, engine: string): Promise<EngineInfo> {
  const engines = await backend.engines()
  const info = engines.find((e) => e.id === engine)
  if (!info) {
    throw new UserError(`engine '${engine}': ${backend.id} offers ${engines.map((e) => e.id).join(', ')}`)
  }
  if (!info.available)
    throw new UserError(`engine '${engine}' of ${backend.id} is not available: ${info.detail}`)
  return info
}

/** grid x folds x seeds, model selection, refit and the early-stopping run, on one backend and engine. */
export async function runExperiment(
  exp: Experiment,
  backend: Backend,
  engine: string,
  opts: RunOptions = {},
): Promise<ExperimentResult> {
  const t0 = performance.now()
  const engineInfo = await resolveEngine(backend, engine)
  const search = searchTrials(exp)
  const finalCount = finalTrials(exp, 0).length
  const total = search.length + finalCount
  const trials: TrialResult[] = []
  let done = 0
  const run = opts.run ?? ((t: Trial) => runTrial(exp, t, backend, engine))
  const stage = async (planned: Trial[]) => {
    const out: TrialResult[] = new Array(planned.length)
    let next = 0
    const lane = async () => {
      while (next < planned.length) {
        opts.signal?.throwIfAborted()
        const i = next++
        const r = await run(planned[i] as Trial)
        out[i] = r
        opts.onTrial?.(++done, total, r)
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, lane))
    trials.push(...out)
  }
  await stage(search)
  const scores = scorePoints(exp, trials)
  const selected = search.length > 0 ? selectPoint(scores) : 0
  await stage(finalTrials(exp, selected))
  const cpu = cpus()[0]?.model ?? 'unknown'
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    kind: 'dualfit.experiment',
    spec: exp.spec,
    specHash: exp.specHash,
    data: exp.data,
    backend: { id: backend.id, version: backend.version, engine: engineInfo },
    environment: {
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      cpu,
      cpus: cpus().length,
      workers: Math.max(1, opts.concurrency ?? 1),
      packages: { '@dualfit/core': CORE_VERSION, [backend.id]: backend.version, ...opts.packages },
    },
    grid: { keys: exp.gridKeys, points: exp.points.map((p) => p.params) },
    selection: { score: exp.spec.selection.score, rule: exp.spec.selection.rule, scores, selected },
    trials,
    totals: {
      trials: trials.length,
      steps: trials.reduce((a, t) => a + t.steps, 0),
      trainMs: trials.reduce((a, t) => a + t.timings.trainMs, 0),
      wallMs: performance.now() - t0,
    },
  }
}
