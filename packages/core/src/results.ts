import type { EngineInfo, TrainSettings } from './backend.js'
import type { DataInfo } from './datasets.js'
import type { ExperimentSpec, Score } from './spec.js'
import type { Params, Trial } from './trials.js'

export const RESULTS_SCHEMA_VERSION = 2

export interface WeightsJson {
  inputs: number
  units: number
  kernel: number[]
  bias: number[]
}

export interface PredictionJson {
  x: number[]
  /** The model's outputs; under a classification loss each class's probability (binary too: two). */
  y: number[]
  /** Classification: the class with the highest probability (the first on a tie). */
  label?: string
  /** The dataset's exact function, when it has one. */
  exact?: number[]
  absError?: number[]
}

/** How well a classifier does on some rows: accuracy and mean log loss (scikit-learn's log_loss). */
export interface ClassMetrics {
  accuracy: number
  logLoss: number
}

/** A classification trial's scores, in addition to its loss. */
export interface ClassificationResult {
  /** On the rows it trained on (all of them, early stopping's validation rows aside). */
  train: ClassMetrics
  /** On its CV fold (search trials) or the spec's held-out test rows; null when there are none. */
  test: ClassMetrics | null
  /** counts[true class][predicted class], on the test rows when there are, else the training rows. */
  confusion: { on: 'test' | 'train'; counts: number[][] }
}

export interface TrialResult extends Trial {
  epochs: number
  epochsRun: number
  /** Epoch (from 0) at which early stopping or divergence ended the run, else null. */
  stoppedEpoch: number | null
  bestEpoch: number | null
  diverged: boolean
  steps: number
  history: {
    loss: number[]
    valLoss?: number[]
    /** Refit and early-stopping runs on data with an exact function: max |error| at the report inputs per epoch. */
    error?: number[]
    /** With a schedule: the lr each epoch ran at, as the backend reports it. */
    lr?: number[]
    /** Classification, refit and early-stopping runs: accuracy on the training rows after each epoch. */
    accuracy?: number[]
    /** ... and on the validation rows, with a validation split. */
    valAccuracy?: number[]
  }
  finalLoss: number
  /**
   * MSE, in the data's units, on rows the trial did not train on: its CV fold (search trials) or
   * the spec's held-out test set (refit and early-stopping runs); null when there are none.
   */
  testMse: number | null
  /** testMse of each output, in its own units (a sum over outputs would add mpg² to lbs²); absent in older files. */
  testMseByOutput?: number[] | null
  /** Classification losses only (testMse is then null). */
  classification?: ClassificationResult
  weights: WeightsJson[]
  predictions: PredictionJson[]
  /**
   * With `history.error`: the first epoch from which the error stays within report.tolerance to the
   * end, and the optimizer steps until then (the ms are in timings); null when it never settles.
   */
  toQuality?: { epochs: number; steps: number } | null
  timings: {
    setupMs: number
    trainMs: number
    totalMs: number
    usPerStep: number
    /** With `history.error`: training ms from the first step to each epoch's end. */
    epochMs?: number[]
    /** Training ms until toQuality's epoch ended; null when it never settled. */
    toQualityMs?: number | null
  }
}

export interface PointScore {
  point: number
  params: Params
  /** Mean over folds and seeds; Infinity when any run diverged. */
  mean: number
  sd: number
  /** Standard error of the mean, sd / sqrt(n). */
  se: number
  /**
   * Within one standard error of the best point's mean (for CV MSE, or within report.tolerance
   * squared): the data, or the spec's tolerance, cannot tell them apart.
   */
  tie: boolean
  values: number[]
}

export interface ExperimentResult {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION
  kind: 'dualfit.experiment'
  spec: ExperimentSpec
  /** sha256 of the canonical JSON of the validated spec (defaults filled in). */
  specHash: string
  /** The rows the experiment ran on (after dropping missing values); `testRows` of them held out. */
  data: DataInfo
  /** `settings`: what the backend applied to the final model's job (absent in older files). */
  backend: { id: string; version: string; engine: EngineInfo; settings?: TrainSettings | null }
  environment: {
    node: string
    platform: string
    arch: string
    cpu: string
    cpus: number
    /** Trials run at once (worker threads); per-step timings share the CPUs when > 1. */
    workers: number
    packages: Record<string, string>
  }
  grid: { keys: string[]; points: Params[] }
  selection: {
    score: Score
    rule: string
    scores: PointScore[]
    selected: number
  }
  trials: TrialResult[]
  totals: { trials: number; steps: number; trainMs: number; wallMs: number }
  /**
   * compare, when a parity verdict against this (first) backend needed calibrating: how far this run
   * parts from itself one ulp away (core's selfNoise), kept so that reports drawn again agree.
   */
  noise?: SelfNoise
}

/** A run against itself one ulp away: its largest curve and weight differences, and the parameters that part most. */
export interface SelfNoise {
  curves: number
  weights: number
  parameters: ParameterDifference[]
}

/** One parameter of two runs' final weights: where it is, both values, how far apart. */
export interface ParameterDifference {
  trial: string
  layer: number
  part: 'kernel' | 'bias'
  index: number[]
  values: [number, number]
  /** |a - b| relative to the layer's largest weight, as the final weights are compared. */
  difference: number
}

/** The model a trial ended with, as plain data any backend or the ONNX exporter takes. */
export function trainedModelOf(result: Pick<ExperimentResult, 'spec'>, trial: Pick<TrialResult, 'weights'>) {
  const first = trial.weights[0]
  return {
    inputs: first?.inputs ?? 0,
    layers: result.spec.model.layers,
    weights: trial.weights.map((w) => ({
      inputs: w.inputs,
      units: w.units,
      kernel: Float32Array.from(w.kernel),
      bias: Float32Array.from(w.bias),
    })),
  }
}
