/** One trial: the job every backend gets for it, and running it on a backend. */
import type { Backend, DataSplit, LayerWeights, TrainedModel, TrainJob, TrainSettings } from './backend.js'
import { subset } from './datasets.js'
import { Accuracy, type EpochCallback, epochHooks, History, Quality, Stopping } from './epochs.js'
import { UserError } from './errors.js'
import { kFold, stratifiedKFold } from './folds.js'
import { initialWeights, ulpUp, ulpWeights } from './init.js'
import { argmaxRow, classMetrics, modelProbabilities, mse, mseByColumn } from './metrics.js'
import { checkModel, forwardRow } from './model.js'
import { resolveOptimizer, resolveSchedule } from './optimizers.js'
import { batchOrder } from './order.js'
import { batchRows, type Experiment, trialEpochs } from './plan.js'
import type { ClassificationResult, ClassMetrics, TrialResult, WeightsJson } from './results.js'
import { fitScaler, type Scaler, scaleSplit, unscaleModel } from './scaling.js'
import type { ExperimentSpec } from './spec.js'
import type { Trial } from './trials.js'

function trialRows(
  exp: Experiment,
  trial: Trial,
): { train: DataSplit; test: DataSplit | null; validation?: DataSplit } {
  const d = exp.dev
  const s = exp.points[trial.point]?.spec as ExperimentSpec
  if (trial.fold !== null && s.cv) {
    const fold = (
      exp.dataset.classes
        ? stratifiedKFold(d.y, s.cv.folds, s.cv.shuffle, trial.seed)
        : kFold(d.n, s.cv.folds, s.cv.shuffle, trial.seed)
    )[trial.fold]
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

/**
 * A rounding-level change to a job, for measuring how far the problem amplifies rounding (parity's
 * calibration): 'ulp' moves every initial weight and every training input and target (not a class
 * index) up by one float32 ulp (ulpUp). The start alone is not enough: training often forgets a
 * start one ulp away (seed-keras at lr 0.1 ends on the same float32 weights), while two engines
 * round differently at every step; rows one ulp away do too.
 */
export type Perturbation = 'ulp'

/** The job a backend runs for one trial: identical for every backend, by construction. */
export function buildJob(
  exp: Experiment,
  trial: Trial,
  engine: string,
  perturb?: Perturbation,
): {
  job: TrainJob
  /** The rows trained on, in the data's own units. */
  train: DataSplit
  test: DataSplit | null
  scaler: Scaler
  targets: QualityTarget[] | null
} {
  const s = exp.points[trial.point]?.spec as ExperimentSpec
  const rows = trialRows(exp, trial)
  const { test } = rows
  // Fitted on this trial's training rows alone, so no statistic leaks from the rows it is scored on.
  const scaler = fitScaler(rows.train, s.standardize)
  const train = scaleSplit(rows.train, scaler)
  const validation = rows.validation && scaleSplit(rows.validation, scaler)
  // Common random numbers: every grid point of a fold and seed starts from the same weights and order.
  const stream = trial.fold === null ? ['all'] : ['fold', trial.fold]
  // A local, so that testing `framework` narrows it for initialWeights.
  const { init } = s
  const framework = init === 'framework'
  const batchSize = batchRows(s, train.n)
  // One batch per epoch: shuffling would only reorder a sum, so rows keep their order and a
  // backend can use the data as it is instead of gathering a copy every step.
  const shuffle = s.shuffle && batchSize < train.n
  // Only final models are judged on quality: their weights are tracked epoch by epoch.
  const targets = trial.stage !== 'search' ? qualityTargets(exp) : null
  const start = framework
    ? null
    : initialWeights(init, exp.dataset.inputs, s.model.layers, trial.seed, ...stream)
  const job: TrainJob = {
    engine,
    model: { inputs: exp.dataset.inputs, layers: s.model.layers },
    loss: s.loss,
    optimizer: resolveOptimizer(s.optimizer, s.init),
    schedule: resolveSchedule(s.schedule, s.init),
    epochs: trialEpochs(s, trial.stage),
    batchSize,
    data:
      perturb === 'ulp'
        ? { ...train, x: ulpUp(train.x), y: exp.dataset.classes ? train.y : ulpUp(train.y) }
        : train,
    ...(validation ? { validation } : {}),
    initialWeights: start && perturb === 'ulp' ? ulpWeights(start) : start,
    order: framework ? null : batchOrder(train.n, shuffle, trial.seed, ...stream),
    seed: trial.seed,
  }
  return { job, train: rows.train, test, scaler, targets }
}

/** A report input and its exact output. */
export interface QualityTarget {
  x: number[]
  exact: number[]
}

/** The report inputs and their exact outputs, when the dataset knows its function: what quality means. */
function qualityTargets(exp: Experiment): QualityTarget[] | null {
  const exact = exp.dataset.exact
  if (!exact || exp.predictRows.length === 0) return null
  return exp.predictRows.map((x) => ({ x, exact: exact(x) }))
}

/** The largest |prediction - exact| over the report inputs and outputs. */
function reportError(model: TrainedModel, targets: QualityTarget[]): number {
  let worst = 0
  for (const { x, exact } of targets) {
    const y = forwardRow(model, x)
    for (const [j, v] of exact.entries()) {
      const e = Math.abs((y[j] as number) - v)
      // NaN never compares greater: a diverged model must not look accurate.
      worst = Number.isNaN(e) ? Number.POSITIVE_INFINITY : Math.max(worst, e)
    }
  }
  return worst
}

/**
 * Time to quality (MLPerf / DAWNBench style): the first epoch from which the error at the report
 * inputs stays within `tolerance` to the end of training, with the optimizer steps and training
 * milliseconds up to the end of that epoch; null when the last epoch is outside it.
 */
export function timeToQuality(
  history: { error: number[]; ms: number[]; steps: number[] },
  tolerance: number,
): { epochs: number; steps: number; ms: number } | null {
  let first = history.error.length
  while (first > 0 && (history.error[first - 1] as number) <= tolerance) first--
  if (first === history.error.length) return null
  return { epochs: first + 1, steps: history.steps[first] as number, ms: history.ms[first] as number }
}

function weightsJson(ws: LayerWeights[]): WeightsJson[] {
  return ws.map((w) => ({
    inputs: w.inputs,
    units: w.units,
    kernel: Array.from(w.kernel),
    bias: Array.from(w.bias),
  }))
}

/** A finished trial, with the settings the backend applied to its job (for parity and the defaults table). */
export interface TrialRun {
  result: TrialResult
  settings: TrainSettings
}

/**
 * The final model's predictions at the report inputs, with their errors when the function is
 * known; a classifier's as each class's probability and the class it picks.
 */
async function reportPredictions(exp: Experiment, backend: Backend, model: TrainedModel, engine: string) {
  if (exp.predictRows.length === 0) return []
  const y = await backend.predict(model, Float32Array.from(exp.predictRows.flat()), engine)
  const { classes } = exp.dataset
  if (classes) {
    const probs = modelProbabilities(model.layers, y)
    return exp.predictRows.map((row, i) => ({
      x: row,
      y: Array.from(probs.p.subarray(i * probs.classes, (i + 1) * probs.classes)),
      label: classes[argmaxRow(probs.p, probs.classes, i)] as string,
    }))
  }
  const outs = exp.dataset.outputs
  return exp.predictRows.map((row, i) => {
    const yi = Array.from(y.subarray(i * outs, (i + 1) * outs))
    const exact = exp.dataset.exact?.(row)
    return {
      x: row,
      y: yi,
      ...(exact ? { exact, absError: yi.map((v, j) => Math.abs(v - (exact[j] as number))) } : {}),
    }
  })
}

/**
 * Accuracy and log loss on the rows trained on and on the test rows, and the confusion matrix on
 * the test rows (the training rows without any); a diverged run scores accuracy 0 and log loss
 * Infinity, so that it never looks like a model.
 */
async function classificationScores(
  backend: Backend,
  model: TrainedModel,
  engine: string,
  train: DataSplit,
  test: DataSplit | null,
  diverged: boolean,
): Promise<ClassificationResult> {
  const score = async (d: DataSplit) => {
    const m = classMetrics(modelProbabilities(model.layers, await backend.predict(model, d.x, engine)), d.y)
    const metrics: ClassMetrics = diverged
      ? { accuracy: 0, logLoss: Number.POSITIVE_INFINITY }
      : { accuracy: m.accuracy, logLoss: m.logLoss }
    return { metrics, confusion: m.confusion }
  }
  const onTrain = await score(train)
  const onTest = test ? await score(test) : null
  return {
    train: onTrain.metrics,
    test: onTest?.metrics ?? null,
    confusion: { on: onTest ? 'test' : 'train', counts: (onTest ?? onTrain).confusion },
  }
}

/** Runs one trial on a backend; pure function of (experiment, trial, backend, engine) apart from timings. */
export async function runTrial(
  exp: Experiment,
  trial: Trial,
  backend: Backend,
  engine: string,
  signal?: AbortSignal,
  perturb?: Perturbation,
): Promise<TrialRun> {
  const t0 = performance.now()
  const { job, train, test, scaler, targets } = buildJob(exp, trial, engine, perturb)
  const s = exp.points[trial.point]?.spec as ExperimentSpec
  const es = trial.stage === 'early-stopping' ? s.earlyStopping : null
  // The harness, not the backend, keeps the history, the stopping rule and the best weights.
  const history = new History(backend.id, job.validation !== undefined, (job.schedule ?? null) !== null)
  const stopping = new Stopping(es, es?.monitor === 'val_loss', es?.restoreBestWeights ?? false)
  const callbacks: EpochCallback[] = []
  const run = epochHooks(callbacks, signal)
  const quality = targets
    ? new Quality(
        (weights) => reportError(unscaleModel({ ...job.model, weights }, scaler), targets),
        Math.ceil(job.data.n / job.batchSize),
        run.trainingMs,
      )
    : null
  // A classifier's final runs: its accuracy after each epoch, from the harness's own forward pass.
  const accuracy =
    exp.dataset.classes && trial.stage !== 'search'
      ? new Accuracy(job.model.layers, job.data, job.validation)
      : null
  callbacks.push(...(quality ? [quality] : []), ...(accuracy ? [accuracy] : []), history, stopping)
  signal?.throwIfAborted()
  run.start()
  const result = await backend.train(job, run.hooks)
  const callMs = run.trainingMs()
  const trained = { ...job.model, weights: stopping.best ?? result.weights }
  checkModel(trained)
  // Scores, predictions and saved weights are all in the data's own units.
  const model = unscaleModel(trained, scaler)
  const { rule } = stopping
  let testMse: number | null = null
  let testMseByOutput: number[] | null = null
  const classification = exp.dataset.classes
    ? await classificationScores(backend, model, engine, train, test, rule.diverged)
    : undefined
  if (test && !classification) {
    const pred = await backend.predict(model, test.x, engine)
    testMse = rule.diverged ? Number.POSITIVE_INFINITY : mse(pred, test.y)
    testMseByOutput = rule.diverged
      ? new Array<number>(test.outputs).fill(Number.POSITIVE_INFINITY)
      : mseByColumn(pred, test.y, test.outputs)
  }
  const predictions = trial.stage !== 'search' ? await reportPredictions(exp, backend, model, engine) : []
  // Epoch times count from the first step, as trainMs does.
  const epochMs = quality?.ms.map((ms) => Math.max(0, ms - result.setupMs))
  const reached =
    quality && epochMs ? timeToQuality({ ...quality, ms: epochMs }, s.report.tolerance) : undefined
  const last = history.loss[history.loss.length - 1] ?? Number.NaN
  const trainMs = Math.max(0, callMs - result.setupMs)
  const totalMs = performance.now() - t0
  return {
    settings: backend.settings(job),
    result: {
      ...trial,
      epochs: job.epochs,
      epochsRun: history.loss.length,
      stoppedEpoch: rule.stoppedEpoch,
      bestEpoch: rule.bestEpoch >= 0 ? rule.bestEpoch : null,
      diverged: rule.diverged,
      steps: result.steps,
      history: {
        loss: history.loss,
        ...(history.valLoss ? { valLoss: history.valLoss } : {}),
        ...(history.lr ? { lr: history.lr } : {}),
        ...(quality ? { error: quality.error } : {}),
        ...(accuracy ? { accuracy: accuracy.train } : {}),
        ...(accuracy?.validation ? { valAccuracy: accuracy.validation } : {}),
      },
      finalLoss: rule.diverged ? Number.POSITIVE_INFINITY : last,
      testMse,
      testMseByOutput,
      ...(classification ? { classification } : {}),
      weights: weightsJson(model.weights),
      predictions,
      ...(reached !== undefined
        ? { toQuality: reached && { epochs: reached.epochs, steps: reached.steps } }
        : {}),
      timings: {
        setupMs: result.setupMs,
        trainMs,
        totalMs,
        usPerStep: result.steps > 0 ? (trainMs * 1000) / result.steps : 0,
        ...(epochMs ? { epochMs, toQualityMs: reached?.ms ?? null } : {}),
      },
    },
  }
}
