import {
  type ClassificationResult,
  type DataInfo,
  type ExperimentResult,
  mean,
  median,
  type Params,
  type ParityReport,
  parity,
  type Score,
  sd,
  type Task,
  type TrainSettings,
  type TrialResult,
} from '@dualfit/core'

// Core labels grid points too (parity's messages); kept importable from here.
export { paramsLabel } from '@dualfit/core'

/** A measure over seeds (or folds): tables show median [min-max], the JSON keeps all five. */
export interface Stat {
  mean: number
  sd: number
  n: number
  median: number
  min: number
  max: number
}

function statOf(xs: number[]): Stat | null {
  if (xs.length === 0) return null
  const sorted = [...xs].sort((a, b) => a - b)
  return {
    mean: mean(xs),
    sd: sd(xs),
    n: xs.length,
    median: median(xs),
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
  }
}

/** One report input's prediction of one output, over the final runs. */
export interface PredictionStat {
  /** The report input (report.predict's row) and, for a single input, its unit. */
  x: number[]
  unitX: string
  /** The output's column and unit. */
  output: string
  unitY: string
  y: Stat
  exact: number | null
  absError: Stat | null
}

/** The numbers of one (spec, backend) run that the tables show. */
export interface Summary {
  spec: string
  specHash: string
  backend: string
  engine: string
  /** Why the backend picked this engine for the workload, when it picked one; a software GPU adapter, named. */
  engineChosen: string | null
  seeds: number[]
  init: ExperimentResult['spec']['init']
  selected: Params
  scoreKind: Score
  /** Other grid points within one standard error of the best score: the data cannot tell them apart. */
  ties: number
  /** Selection score of the chosen point over folds and seeds (or over seeds). */
  score: Stat | null
  /** MSE of the final model on the spec's held-out test rows, over seeds. */
  testMse: Stat | null
  /** The same per output, in the data's columns order; null without test rows or with one output. */
  testMseByOutput: Stat[] | null
  /**
   * Classification runs only, absent for regression (whose results.json stays as it was): the
   * class names in label order, and over the final runs accuracy and log loss on the rows they
   * trained on and on the held-out test rows (null without a split).
   */
  classes?: string[]
  accuracy?: Stat | null
  logLoss?: Stat | null
  testAccuracy?: Stat | null
  testLogLoss?: Stat | null
  /** counts[true class][predicted class] summed over the final runs, on the test rows when there are. */
  confusion?: { on: 'test' | 'train'; counts: number[][] } | null
  /** Per report input: the class most final runs predict there (the first on a tie), and how many do. */
  labels?: { x: number[]; label: string; runs: number; of: number }[]
  data: DataInfo
  /** Training losses are in standardized units (spec standardize.y), unlike the MSEs. */
  scaledLoss: boolean
  /** The final model's runs: the refit, else the early-stopping run. */
  finalStage: 'refit' | 'early-stopping' | null
  epochsRun: Stat | null
  finalLoss: Stat | null
  /** Only for a single Dense(1) on one input: the learned line. */
  weight: Stat | null
  bias: Stat | null
  earlyStop: { epochsRun: Stat; stopped: number; diverged: number; runs: number; maxEpochs: number } | null
  /** Runs whose loss became NaN or infinite, of all this backend ran. */
  diverged: { runs: number; of: number }
  /** Per-epoch loss of the final model's first run (refit, else early stopping), for a sparkline. */
  curve: number[]
  /** report.tolerance, in the output's unit. */
  tolerance: number
  /** Final models within tolerance at every report input, of those run; null without an exact function. */
  success: { ok: number; of: number } | null
  /** Time to quality over the final runs that reached it (`reached` of `of`); null without tracking. */
  toQuality: { epochs: Stat | null; steps: Stat | null; ms: Stat | null; reached: number; of: number } | null
  /** Against the group's first backend (the first row is null); filled in by summarizeGroup. */
  parity: ParityReport | null
  /** What the backend applied to the final model's job; null in results from an older dualfit. */
  settings: TrainSettings | null
  /** Every report input x every output, input by input. */
  predictions: PredictionStat[]
  steps: number
  wallMs: number
  workers: number
  usPerStep: number
}

/** A summary's task: a classification run's carries its classes. */
export const taskOfSummary = (s: Pick<Summary, 'classes'>): Task =>
  s.classes ? 'classification' : 'regression'

export function summarize(r: ExperimentResult): Summary {
  const byStage = (s: TrialResult['stage']) => r.trials.filter((t) => t.stage === s)
  const refit = byStage('refit')
  const es = byStage('early-stopping')
  const final = refit.length > 0 ? refit : es
  const finalStage = refit.length > 0 ? 'refit' : es.length > 0 ? 'early-stopping' : null
  const sel = r.selection.scores[r.selection.selected]
  const single = r.spec.model.layers.length === 1 && final[0]?.weights[0]?.kernel.length === 1
  const steps = r.totals.steps
  return {
    spec: r.spec.name,
    specHash: r.specHash,
    backend: r.backend.id,
    engine: r.backend.engine.id,
    engineChosen:
      [
        r.backend.engine.chosen,
        r.backend.engine.software && `${r.backend.engine.software}, a software adapter: correct, not fast`,
      ]
        .filter(Boolean)
        .join('; ') || null,
    seeds: r.spec.seeds,
    init: r.spec.init,
    selected: r.grid.points[r.selection.selected] ?? {},
    scoreKind: r.selection.score,
    ties: r.selection.scores.filter((s) => s.tie && s.point !== r.selection.selected).length,
    score: sel ? statOf(sel.values) : null,
    testMse: statOf(final.flatMap((t) => (t.testMse === null ? [] : [t.testMse]))),
    testMseByOutput: byOutput(final, r.data.columns.y.length),
    ...(r.data.classes ? classificationOf(final, r.data.classes) : {}),
    data: r.data,
    scaledLoss: r.spec.standardize.y,
    finalStage,
    epochsRun: statOf(final.map((t) => t.epochsRun)),
    finalLoss: statOf(final.map((t) => t.finalLoss)),
    weight: single ? statOf(final.map((t) => t.weights[0]?.kernel[0] as number)) : null,
    bias: single ? statOf(final.map((t) => t.weights[0]?.bias[0] as number)) : null,
    earlyStop:
      es.length > 0
        ? {
            epochsRun: statOf(es.map((t) => t.epochsRun)) as Stat,
            stopped: es.filter((t) => t.stoppedEpoch !== null && !t.diverged).length,
            diverged: es.filter((t) => t.diverged).length,
            runs: es.length,
            maxEpochs: es[0]?.epochs ?? 0,
          }
        : null,
    diverged: { runs: r.trials.filter((t) => t.diverged).length, of: r.trials.length },
    curve: final[0]?.history.loss ?? [],
    tolerance: r.spec.report.tolerance,
    success: successOf(final, r.spec.report.tolerance),
    toQuality: qualityOf(final),
    parity: null,
    settings: r.backend.settings ?? null,
    predictions: predictionsOf(final, r.data),
    steps,
    wallMs: r.totals.wallMs,
    workers: r.environment.workers ?? 1,
    usPerStep: steps > 0 ? (r.totals.trainMs * 1000) / steps : 0,
  }
}

/** Each output's test MSE over the final runs; null for one output (testMse is it) or none. */
function byOutput(final: TrialResult[], outputs: number): Stat[] | null {
  const runs = final.flatMap((t) => (t.testMseByOutput ? [t.testMseByOutput] : []))
  if (outputs < 2 || runs.length === 0) return null
  return Array.from({ length: outputs }, (_, j) => statOf(runs.map((m) => m[j] as number)) as Stat)
}

/** A classifier's scores over the final runs, its confusion matrices summed, its predicted classes. */
function classificationOf(final: TrialResult[], classes: string[]) {
  const scores = final.flatMap((t) => t.classification ?? [])
  const over = (f: (c: ClassificationResult) => number | undefined) =>
    statOf(scores.flatMap((c) => f(c) ?? []))
  const first = scores[0]?.confusion
  const counts = first?.counts.map((row, i) =>
    row.map((_, j) => scores.reduce((sum, c) => sum + (c.confusion.counts[i]?.[j] ?? 0), 0)),
  )
  return {
    classes,
    accuracy: over((c) => c.train.accuracy),
    logLoss: over((c) => c.train.logLoss),
    testAccuracy: over((c) => c.test?.accuracy),
    testLogLoss: over((c) => c.test?.logLoss),
    confusion: first && counts ? { on: first.on, counts } : null,
    labels: (final[0]?.predictions ?? []).map((p, i) => {
      const picks = final.flatMap((t) => t.predictions[i]?.label ?? [])
      const runs = (label: string) => picks.filter((l) => l === label).length
      // Class order breaks a tie, as argmax does within a run.
      const label = classes.reduce((best, c) => (runs(c) > runs(best) ? c : best), classes[0] ?? '')
      return { x: p.x, label, runs: runs(label), of: picks.length }
    }),
  }
}

/**
 * Each report input's prediction of each output over the final runs, as the first run lists them;
 * a classifier's outputs are its classes' probabilities.
 */
function predictionsOf(final: TrialResult[], data: DataInfo): PredictionStat[] {
  return (final[0]?.predictions ?? []).flatMap((p, i) => {
    const at = final.flatMap((t) => t.predictions[i] ?? [])
    return p.y.map((_, j) => ({
      x: p.x,
      unitX: p.x.length === 1 ? (data.units.x[0] ?? '') : '',
      output: (data.classes ?? data.columns.y)[j] ?? '',
      unitY: data.classes ? '' : (data.units.y[j] ?? ''),
      y: statOf(at.map((q) => q.y[j] as number)) as Stat,
      exact: p.exact?.[j] ?? null,
      absError: p.absError ? statOf(at.map((q) => q.absError?.[j] as number)) : null,
    }))
  })
}

/** Row names: the backend, or backend:engine where two rows share a backend (its engines side by side). */
export function rowNames(rows: Summary[]): string[] {
  return rows.map((r) =>
    rows.filter((o) => o.backend === r.backend).length > 1 ? `${r.backend}:${r.engine}` : r.backend,
  )
}

/** A final run succeeds when its error is within tolerance at every report input and output. */
function successOf(final: TrialResult[], tolerance: number): Summary['success'] {
  const judged = final.filter((t) => t.predictions.some((p) => p.absError))
  if (judged.length === 0) return null
  const ok = judged.filter((t) =>
    t.predictions.every((p) => (p.absError ?? []).every((e) => Number.isFinite(e) && e <= tolerance)),
  )
  return { ok: ok.length, of: judged.length }
}

function qualityOf(final: TrialResult[]): Summary['toQuality'] {
  const tracked = final.filter((t) => t.toQuality !== undefined)
  if (tracked.length === 0) return null
  const reached = tracked.filter((t) => t.toQuality)
  return {
    epochs: statOf(reached.map((t) => t.toQuality?.epochs as number)),
    steps: statOf(reached.map((t) => t.toQuality?.steps as number)),
    ms: statOf(
      reached.flatMap((t) => (typeof t.timings.toQualityMs === 'number' ? [t.timings.toQualityMs] : [])),
    ),
    reached: reached.length,
    of: tracked.length,
  }
}

/**
 * One spec's runs on several backends, each after the first with its parity against the first,
 * calibrated by the first run's own noise where compare kept it (ExperimentResult.noise).
 */
export function summarizeGroup(results: ExperimentResult[]): Summary[] {
  const first = results[0]
  return results.map((r, i) => ({
    ...summarize(r),
    parity: i > 0 && first ? parity(first, r) : null,
  }))
}
