/**
 * The Backend contract: what an engine must do for dualfit, and nothing more.
 * The harness owns data, folds, batch order, initial weights, metrics, early stopping
 * and model selection; a backend only runs optimizer steps and predicts.
 */
import type { LayerSpec, LossSpec, OptimizerSpec } from './spec.js'

/** One dense layer's parameters. `kernel` is [inputs, units] row-major (Keras layout). */
export interface LayerWeights {
  inputs: number
  units: number
  kernel: Float32Array
  bias: Float32Array
}

/** Plain data, so any backend can predict or export a model that another one trained. */
export interface TrainedModel {
  inputs: number
  layers: LayerSpec[]
  weights: LayerWeights[]
}

/** Row-major samples: x is [n, inputs], y is [n, outputs]. */
export interface DataSplit {
  n: number
  inputs: number
  outputs: number
  x: Float32Array
  y: Float32Array
}

export interface TrainJob {
  /** Engine id from `engines()`; the backend rejects one it does not offer. */
  engine: string
  model: { inputs: number; layers: LayerSpec[] }
  loss: LossSpec
  optimizer: OptimizerSpec
  epochs: number
  /** Resolved batch size ('full' is already n). The last batch of an epoch may be smaller. */
  batchSize: number
  data: DataSplit
  /** When present, `valLoss` (same loss, weights at the end of the epoch) is reported every epoch. */
  validation?: DataSplit
  /**
   * Harness conventions: start from these weights and visit samples in `order(epoch)`,
   * cut into consecutive batches of `batchSize`.
   * Framework conventions (spec init 'framework'): both are null and the backend uses its own
   * framework's defaults, seeded from `seed`.
   */
  initialWeights: LayerWeights[] | null
  order: ((epoch: number) => Uint32Array) | null
  seed: number
  /** Keep the weights of the best epoch and end with them (see TrainHooks). */
  restoreBestWeights: boolean
}

export interface EpochLogs {
  /**
   * Each batch's loss before its own update, averaged over the epoch weighted by batch size
   * (what Keras' and TF.js' fit report as `loss`, and the seed's loop records).
   */
  loss: number
  valLoss?: number
}

/** What the harness decides at the end of each epoch (core's early-stopping rule). */
export interface EpochDecision {
  stop: boolean
  /** This epoch is the best so far: snapshot the weights for restoreBestWeights. */
  snapshot: boolean
}

export interface TrainHooks {
  /** Epochs count from 0. Called after every epoch; the backend obeys the decision at once. */
  onEpochEnd(epoch: number, logs: EpochLogs): EpochDecision
}

export interface TrainResult {
  history: { loss: number[]; valLoss?: number[] }
  epochsRun: number
  /** Optimizer steps taken (batches). */
  steps: number
  /** Weights the model ends with (the snapshot when restoreBestWeights applied). */
  model: TrainedModel
  timings: {
    /** Model and session construction before the first step. */
    setupMs: number
    /** The training loop itself. */
    trainMs: number
  }
}

export type Device = 'cpu' | 'wasm' | 'gpu'

export interface EngineInfo {
  id: string
  device: Device
  available: boolean
  /** Why not, when unavailable; what it is, when available. */
  detail: string
  default?: boolean
}

export interface Backend {
  /** Short name, e.g. 'keras-style'. */
  readonly id: string
  /** Package name and version, e.g. '@dualfit/keras-style@0.1.0'. */
  readonly version: string
  engines(): Promise<EngineInfo[]>
  train(job: TrainJob, hooks: TrainHooks): Promise<TrainResult>
  predict(model: TrainedModel, x: Float32Array, engine: string): Promise<Float32Array>
  exportOnnx(model: TrainedModel): Promise<Uint8Array>
  dispose(): Promise<void>
}

/** What a backend package exports so the registry can load it by name. */
export interface BackendModule {
  createBackend(): Backend | Promise<Backend>
}
