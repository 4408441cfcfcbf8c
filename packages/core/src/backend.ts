/**
 * The Backend contract: what an engine must do for dualfit, and nothing more.
 * The harness owns data, folds, batch order, initial weights, metrics, early stopping, the loss
 * history, engine resolution and model selection; a backend runs optimizer steps and predicts.
 */
import type {
  AdamEpsilon,
  DecayForm,
  MomentumForm,
  RootEpsilon,
  TrainOptimizer,
  TrainSchedule,
} from './optimizers.js'
import type { LayerSpec, LossSpec } from './spec.js'

/** One dense layer's parameters. `kernel` is [inputs, units] row-major (Keras layout). */
export interface LayerWeights {
  inputs: number
  units: number
  kernel: Float32Array
  bias: Float32Array
}

/** Plain data, so any backend can predict, save or export a model another one trained. */
export interface TrainedModel {
  inputs: number
  layers: LayerSpec[]
  weights: LayerWeights[]
}

/**
 * Row-major samples: x is [n, inputs], y is [n, outputs]. Under a classification loss y is one
 * column of class indices (0, 1, ... as float32), whatever the model's output width.
 */
export interface DataSplit {
  n: number
  inputs: number
  outputs: number
  x: Float32Array
  y: Float32Array
}

/** Built and checked by core: shapes agree, the engine is one of the backend's and available. */
export interface TrainJob {
  engine: string
  model: { inputs: number; layers: LayerSpec[] }
  loss: LossSpec
  /** Every hyperparameter resolved; `formula` says whose formulas to apply (null: the framework's own). */
  optimizer: TrainOptimizer
  /** The lr per epoch, in `schedule.semantics`; absent or null: constant. */
  schedule?: TrainSchedule | null
  epochs: number
  /** Resolved batch size ('full' is already n). The last batch of an epoch may be smaller. */
  batchSize: number
  data: DataSplit
  /** When present, report `valLoss` (same loss, weights at the end of the epoch) every epoch. */
  validation?: DataSplit
  /**
   * Start from these weights and visit samples in `order(epoch)`, cut into consecutive batches.
   * Both null under spec init 'framework': use the framework's own defaults, seeded from `seed`.
   */
  initialWeights: LayerWeights[] | null
  order: ((epoch: number) => Uint32Array) | null
  seed: number
}

export interface EpochLogs {
  /**
   * Each batch's loss before its own update, averaged over the epoch weighted by batch size; with
   * layers' l2, the penalty included (as Keras reports it).
   */
  loss: number
  valLoss?: number
  /** The learning rate the epoch ran at (with a schedule). */
  lr?: number
}

export interface TrainHooks {
  /**
   * Epochs count from 0. Call after every epoch, await the answer and obey it at once. `weights`
   * gives fresh copies of the weights after the epoch's last step, in core's layout; core calls it
   * only when it needs them (best-weights snapshots, time to quality), before answering.
   */
  onEpochEnd(
    epoch: number,
    logs: EpochLogs,
    weights: () => Promise<LayerWeights[]>,
  ): Promise<'stop' | 'continue'>
  /** Aborted (Ctrl-C): take no further optimizer step and reject with `signal.reason`. */
  signal?: AbortSignal
}

export interface TrainResult {
  /** The weights after the last epoch run, in core's layout (core keeps any best-weights snapshot). */
  weights: LayerWeights[]
  /** Optimizer steps taken (batches). */
  steps: number
  /** Time before the first step (model and session construction); core times the whole call. */
  setupMs: number
}

export type Device = 'cpu' | 'wasm' | 'gpu'

/** An engine a backend offers. Core probes it once per backend instance, when first needed. */
export interface Engine {
  id: string
  device: Device
  /** What it is, e.g. 'ONNX Runtime, native CPU (onnxruntime-node)'. */
  detail: string
  /** null when it runs here; otherwise why not, in one line. */
  probe(): Promise<string | null>
}

/** An engine as resolved by core: probed, with the outcome. */
export interface EngineInfo {
  id: string
  device: Device
  available: boolean
  /** Why not, when unavailable; what it is, when available. */
  detail: string
  /** The backend's first available engine (its preference order). */
  default?: boolean
  /** Why the backend picked it for this workload (see Backend.chooseEngine). */
  chosen?: string
  /** A webgpu engine's adapter when it is a software one, e.g. 'SwiftShader': correct, not fast (softwareGpu). */
  software?: string
}

/** What one optimizer step asks of an engine, for backends that pick one per workload. */
export interface Workload {
  batchSize: number
  inputs: number
  layers: LayerSpec[]
}

/**
 * Where Adam adds epsilon: to the bias-corrected sqrt(v_hat) (PyTorch), or to sqrt(v) with the
 * bias corrections folded into the step size (Python Keras' "epsilon hat", Kingma & Ba sec. 2;
 * TF.js 4.22's tf.train.adam uses PyTorch's form).
 */
export type EpsilonPlacement = AdamEpsilon

/** What train(job) applies, stated so that two backends' runs can be compared setting by setting. */
export interface TrainSettings {
  /** 'given' (job.initialWeights), else the framework's own, e.g. 'glorotNormal kernel, zero bias'. */
  initializer: string
  /** 'given' (job.order), else the framework's own, e.g. 'tfjs fit shuffle, seeded'. */
  order: string
  batchSize: number
  /** Adam's (and AdamW's) epsilon in effect and where it is added; null for other optimizers. */
  epsilon: { value: number; placement: EpsilonPlacement } | null
  /**
   * Every other formula choice of the optimizer and schedule (absent in older results): those that
   * do not apply to the optimizer are null.
   */
  optimizer?: {
    name: string
    /** RMSprop and Adagrad: epsilon and where it is added. */
    rootEpsilon: { value: number; placement: RootEpsilon } | null
    /** SGD and RMSprop with momentum > 0. */
    momentum: { value: number; form: MomentumForm; nesterov: boolean } | null
    /** RMSprop's rho (PyTorch's alpha) and whether it is centered. */
    rho: number | null
    centered: boolean | null
    /** Adagrad's starting accumulator. */
    initialAccumulator: number | null
    /** null: none (0). */
    weightDecay: { value: number; form: DecayForm } | null
    /** The schedule's name and semantics, null: constant lr. */
    schedule: { name: string; semantics: 'keras' | 'torch' } | null
  }
  /** How a batch's per-row losses become the one that is differentiated. */
  lossReduction: 'mean' | 'sum'
  /**
   * Classification losses: where the softmax (or sigmoid) sits, 'loss' (logits out of the model,
   * log-softmax inside the loss) or 'model' (a last layer of probabilities), and the interval the
   * loss clips probabilities to before the log (null: none). null for regression losses.
   */
  probabilities?: {
    activation: 'softmax' | 'sigmoid'
    at: 'loss' | 'model'
    clip: [number, number] | null
  } | null
}

export interface Backend {
  /** Short name, e.g. 'keras-style'. */
  readonly id: string
  /** Package name and version, e.g. '@dualfit/keras-style@0.1.0'. */
  readonly version: string
  /** In order of preference: the first available one (on a device) is the default. */
  readonly engines: readonly Engine[]
  /** Optional: the engine for a workload and why, when none is named (core checks it is available). */
  chooseEngine?(work: Workload): { engine: string; why: string }
  train(job: TrainJob, hooks: TrainHooks): Promise<TrainResult>
  /** The settings train(job) applies; `dualfit parity` names the ones that differ between backends. */
  settings(job: TrainJob): TrainSettings
  /** Rows of `model.inputs` values in, rows of outputs out, on an engine core has resolved. */
  predict(model: TrainedModel, x: Float32Array, engine: string): Promise<Float32Array>
  /** Optional: the framework's own file formats (ONNX export is backend-neutral, in @dualfit/onnx). */
  readonly saveFormats?: readonly string[]
  /** Files (name -> bytes) that hold `model` in `format`, written atomically by the caller. */
  save?(model: TrainedModel, format: string): Promise<Record<string, Uint8Array>>
  /** Releases what this instance holds (sessions, processes); other instances are unaffected. */
  dispose(): Promise<void>
}

/** What a backend package exports so the registry can load it by name. */
export interface BackendModule {
  createBackend(): Backend | Promise<Backend>
}
