/** The tiny fixed problems the checks train on. Values are exact in float32. */
import type {
  DataSplit,
  EpochLogs,
  InitConvention,
  LayerSpec,
  LayerWeights,
  LossSpec,
  OptimizerSpec,
  ScheduleSpec,
  TrainHooks,
  TrainJob,
  TrainOptimizer,
} from '@dualfit/core'
import { batchOrder, initialWeights, resolveOptimizer } from '@dualfit/core'

function split(x: number[][], y: number[][]): DataSplit {
  return {
    n: x.length,
    inputs: (x[0] as number[]).length,
    outputs: (y[0] as number[]).length,
    x: Float32Array.from(x.flat()),
    y: Float32Array.from(y.flat()),
  }
}

/** 5 rows, 2 inputs, 1 output; targets a bumpy function so no weights fit them exactly. */
export const DATA = split(
  [
    [0.5, -1],
    [1.5, 0.25],
    [-0.75, 2],
    [2, 1],
    [-1.25, -0.5],
  ],
  [[0.75], [1.25], [-0.5], [2.5], [-1.5]],
)

export const VALIDATION = split(
  [
    [1, 1],
    [-0.5, 0.5],
    [0.25, -1.5],
  ],
  [[1.5], [0], [-0.25]],
)

/** DATA's x with class labels: 3 classes for cross_entropy, 0/1 for binary_cross_entropy. */
export const CLASSES = { ...DATA, y: Float32Array.of(0, 2, 1, 2, 0) }
export const BINARY = { ...DATA, y: Float32Array.of(0, 1, 1, 0, 1) }

/**
 * 3 rows for the clip check: with SATURATED_WEIGHTS, row 0's label gets probability about 2e-9, far
 * below a 1e-7 clip (its gradient vanishes under the clip, is about 1 without it); rows 1 and 2 stay
 * inside [1e-7, 1 - 1e-7].
 */
export const SATURATED = split(
  [
    [1, 0],
    [0, 1],
    [0.5, -0.5],
  ],
  [[1], [2], [0]],
)
export const SATURATED_BINARY = { ...SATURATED, y: Float32Array.of(1, 0, 0) }
/** Logits: row 0 (20, 0, 0) for label 1, or -20 for label 1. */
export const SATURATED_WEIGHTS = {
  cross_entropy: {
    inputs: 2,
    units: 3,
    kernel: Float32Array.of(20, 0, 0, 0, 1, -1),
    bias: new Float32Array(3),
  },
  binary_cross_entropy: { inputs: 2, units: 1, kernel: Float32Array.of(-20, 1), bias: new Float32Array(1) },
}

/** One row at x = 0 for a net starting at bias 0: the bias's gradient, -2^-23, is small enough that Adam's eps sets the step. */
export const TINY = split([[0, 0]], [[2 ** -24]])

/** Rows for predict: both signs and magnitudes up to 3, so relu is cut and sigmoid/tanh bend. */
export const PREDICT_X = Float32Array.from([0.5, -1, 3, 0.25, -2.5, 1.75, 0, 0, -0.125, -3, 1, 2])

export const TANH_NET: LayerSpec[] = [
  { units: 16, activation: 'tanh' },
  { units: 1, activation: 'linear' },
]
export const LINEAR_NET: LayerSpec[] = [{ units: 1, activation: 'linear' }]
/** Every activation in one net, and two outputs, so the output layout is row-major [n, outputs]. */
export const DEEP_NET: LayerSpec[] = [
  { units: 4, activation: 'relu' },
  { units: 3, activation: 'tanh' },
  { units: 3, activation: 'sigmoid' },
  { units: 2, activation: 'linear' },
]

export const MSE: LossSpec = { name: 'mse', delta: 1 }
export const MAE: LossSpec = { name: 'mae', delta: 1 }
/** delta 0.5: some residuals fall in the quadratic part, some in the linear part. */
export const HUBER: LossSpec = { name: 'huber', delta: 0.5 }

export const CROSS_ENTROPY: LossSpec = { name: 'cross_entropy', delta: 1, fromLogits: true }
export const BINARY_CROSS_ENTROPY: LossSpec = { name: 'binary_cross_entropy', delta: 1, fromLogits: true }

/** A classification loss, the data it trains on and a 2-4 tanh net ending as the spec requires. */
export interface ClassificationCase {
  label: string
  loss: LossSpec
  data: DataSplit
  layers: LayerSpec[]
}

/** The four classification losses: cross_entropy and binary_cross_entropy, from logits or not. */
export const CLASSIFICATION_CASES: ClassificationCase[] = [CROSS_ENTROPY, BINARY_CROSS_ENTROPY].flatMap(
  (loss) =>
    [true, false].map((fromLogits) => {
      const binary = loss.name === 'binary_cross_entropy'
      const last = fromLogits ? 'linear' : binary ? 'sigmoid' : 'softmax'
      const units = binary ? 1 : 3
      return {
        label: `2-4 tanh-${units} ${last}, ${loss.name} fromLogits ${fromLogits}`,
        loss: { ...loss, fromLogits },
        data: binary ? BINARY : CLASSES,
        layers: [
          { units: 4, activation: 'tanh' },
          { units, activation: last },
        ],
      }
    }),
)

/*
 * Adam's first step is about lr * sign(g), whatever eps form the framework uses (Keras puts eps
 * outside the bias correction, ~30x larger in effect); the fixtures keep every |g| far above it.
 */
export const ADAM: TrainOptimizer = resolveOptimizer(
  { name: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, momentum: 0 },
  'torch',
)
export const SGD_MOMENTUM: TrainOptimizer = { ...ADAM, name: 'sgd', lr: 0.05, momentum: 0.9 }
export const SGD: TrainOptimizer = { ...ADAM, name: 'sgd', lr: 0.1, momentum: 0 }

export const SEED = 4

export const weightsFor = (layers: LayerSpec[], seed = SEED, inputs = DATA.inputs): LayerWeights[] =>
  initialWeights('torch', inputs, layers, seed, 'backend-testkit')

/** A shuffled order whose epochs 0 and 1 both differ from index order and from each other. */
export const SHUFFLED = batchOrder(DATA.n, true, SEED, 'backend-testkit')
export const IN_ORDER = batchOrder(DATA.n, false, SEED)

/** One full-batch epoch from fixed weights; override anything. */
export function makeJob(engine: string, overrides: Partial<TrainJob> = {}): TrainJob {
  const layers = overrides.model?.layers ?? TANH_NET
  return {
    engine,
    model: { inputs: DATA.inputs, layers },
    loss: MSE,
    optimizer: ADAM,
    epochs: 1,
    batchSize: DATA.n,
    data: DATA,
    initialWeights: weightsFor(layers),
    order: IN_ORDER,
    seed: SEED,
    ...overrides,
  }
}

export interface Recorder {
  hooks: TrainHooks
  calls: { epoch: number; logs: EpochLogs }[]
}

/**
 * Hooks that record every call and answer 'stop' where `decide` says so (default: never). `decide`
 * gets the epoch's weights getter, for checks that read the weights the way core does.
 */
export function recorder(
  decide: (epoch: number, weights: () => Promise<LayerWeights[]>) => boolean | Promise<boolean> = () => false,
): Recorder {
  const calls: Recorder['calls'] = []
  return {
    calls,
    hooks: {
      async onEpochEnd(epoch, logs, weights) {
        calls.push({ epoch, logs: { ...logs } })
        return (await decide(epoch, weights)) ? 'stop' : 'continue'
      },
    },
  }
}

/** The optimizer fields a spec gives (resolveOptimizer fills the convention's defaults). */
type OptimizerFields = Omit<OptimizerSpec, 'beta1' | 'beta2' | 'momentum'> & { momentum?: number }

/** One of the optimizer family's cases; `schedule` makes the lr change between epochs. */
export interface OptimizerCase {
  label: string
  optimizer: OptimizerFields
  schedule?: ScheduleSpec
}

/**
 * The family, each case chosen so that the conventions' formulas part within a few steps: eps 0.1
 * (its placement shows), momentum or decay with a changing lr or several steps (their forms show),
 * no rho or accumulator (each convention's default applies).
 */
export const OPTIMIZER_CASES: OptimizerCase[] = [
  {
    label: 'sgd momentum 0.9, weightDecay 0.1',
    optimizer: { name: 'sgd', lr: 0.05, eps: 0.1, momentum: 0.9, weightDecay: 0.1 },
  },
  {
    label: 'sgd nesterov momentum 0.9, lr halved each epoch',
    optimizer: { name: 'sgd', lr: 0.05, eps: 0.1, momentum: 0.9, nesterov: true },
    schedule: { name: 'exponential', gamma: 0.5 },
  },
  {
    label: 'adam eps 0.1, weightDecay 0.1',
    optimizer: { name: 'adam', lr: 0.01, eps: 0.1, weightDecay: 0.1 },
  },
  {
    label: 'adamw eps 0.1, weightDecay 0.1',
    optimizer: { name: 'adamw', lr: 0.01, eps: 0.1, weightDecay: 0.1 },
  },
  { label: 'rmsprop eps 0.1', optimizer: { name: 'rmsprop', lr: 0.01, eps: 0.1 } },
  {
    label: 'rmsprop centered, rho 0.8, momentum 0.5, eps 0.1, lr halved each epoch',
    optimizer: { name: 'rmsprop', lr: 0.01, eps: 0.1, rho: 0.8, centered: true, momentum: 0.5 },
    schedule: { name: 'exponential', gamma: 0.5 },
  },
  { label: 'adagrad eps 0.1', optimizer: { name: 'adagrad', lr: 0.05, eps: 0.1 } },
]

/** Under init 'framework': every default left to the backend (eps null, no rho, accumulator or AdamW decay). */
export const DEFAULT_CASES: OptimizerCase[] = [
  { label: 'adamw, its default weightDecay', optimizer: { name: 'adamw', lr: 0.01, eps: null } },
  { label: 'rmsprop, its default rho', optimizer: { name: 'rmsprop', lr: 0.01, eps: null } },
  { label: 'adagrad, its default accumulator', optimizer: { name: 'adagrad', lr: 0.05, eps: null } },
]

/** A case's TrainOptimizer under `init`, with Adam's betas. */
export const optimizerOf = (o: OptimizerFields, init: InitConvention): TrainOptimizer =>
  resolveOptimizer({ beta1: 0.9, beta2: 0.999, momentum: 0, ...o }, init)

/**
 * Schedules over 6 full-batch SGD epochs of LINEAR_NET at lr 0.1 (SCHEDULE_LR). cosine's tMax 3
 * and plateau's threshold and patience make Keras' and PyTorch's lr differ (the testkit's own tests
 * check that, and that no plateau decision sits near its threshold).
 */
export const SCHEDULE_LR = 0.1
export const SCHEDULE_CASES: ScheduleSpec[] = [
  { name: 'step', stepSize: 2, gamma: 0.5 },
  { name: 'exponential', gamma: 0.8 },
  { name: 'cosine', tMax: 3, minLr: 0.01 },
  { name: 'plateau', factor: 0.5, patience: 1, threshold: 0.3, cooldown: 0, minLr: 0 },
]

/** Keras' l2 on both layers of TANH_NET (exact in float32). */
export const L2_NET: LayerSpec[] = [
  { units: 16, activation: 'tanh', l2: 0.0625 },
  { units: 1, activation: 'linear', l2: 0.125 },
]
