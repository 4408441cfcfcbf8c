/** The tiny fixed problems the checks train on. Values are exact in float32. */
import type {
  DataSplit,
  EpochLogs,
  LayerSpec,
  LayerWeights,
  LossSpec,
  OptimizerSpec,
  TrainHooks,
  TrainJob,
} from '@dualfit/core'
import { batchOrder, initialWeights } from '@dualfit/core'

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

/*
 * Adam's first step is about lr * sign(g), whatever eps form the framework uses (Keras puts eps
 * outside the bias correction, ~30x larger in effect); the fixtures keep every |g| far above it.
 */
export const ADAM: OptimizerSpec = {
  name: 'adam',
  lr: 0.01,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  momentum: 0,
}
export const SGD_MOMENTUM: OptimizerSpec = { ...ADAM, name: 'sgd', lr: 0.05, momentum: 0.9 }
export const SGD: OptimizerSpec = { ...ADAM, name: 'sgd', lr: 0.1, momentum: 0 }

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
