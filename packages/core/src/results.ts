import type { EngineInfo } from './backend.js'
import type { DataInfo } from './datasets.js'
import type { ExperimentSpec } from './spec.js'

export const RESULTS_SCHEMA_VERSION = 2

export type Stage = 'search' | 'refit' | 'early-stopping'
export type Params = Record<string, unknown>

/** One independent, serializable unit of work: spec + grid point + fold + seed. */
export interface Trial {
  /** e.g. 'search/p2/f1/s0', 'refit/p2/s0'. */
  id: string
  stage: Stage
  /** Index into the grid's points. */
  point: number
  params: Params
  /** Fold index in k-fold CV, or null when training on all rows. */
  fold: number | null
  seed: number
}

export interface WeightsJson {
  inputs: number
  units: number
  kernel: number[]
  bias: number[]
}

export interface PredictionJson {
  x: number[]
  y: number[]
  /** The dataset's exact function, when it has one. */
  exact?: number[]
  absError?: number[]
}

export interface TrialResult extends Trial {
  epochs: number
  epochsRun: number
  /** Epoch (from 0) at which early stopping or divergence ended the run, else null. */
  stoppedEpoch: number | null
  bestEpoch: number | null
  diverged: boolean
  steps: number
  history: { loss: number[]; valLoss?: number[] }
  finalLoss: number
  /**
   * MSE, in the data's units, on rows the trial did not train on: its CV fold (search trials) or
   * the spec's held-out test set (refit and early-stopping runs); null when there are none.
   */
  testMse: number | null
  weights: WeightsJson[]
  predictions: PredictionJson[]
  timings: { setupMs: number; trainMs: number; totalMs: number; usPerStep: number }
}

export interface PointScore {
  point: number
  params: Params
  /** Mean over folds and seeds; Infinity when any run diverged. */
  mean: number
  sd: number
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
  backend: { id: string; version: string; engine: EngineInfo }
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
    score: ExperimentSpec['selection']['score']
    rule: string
    scores: PointScore[]
    selected: number
  }
  trials: TrialResult[]
  totals: { trials: number; steps: number; trainMs: number; wallMs: number }
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
