import { trainRecorded } from '@dualfit/backend-testkit'
import {
  batchOrder,
  builtinDataset,
  type LayerSpec,
  type LayerWeights,
  resolveOptimizer,
  type TrainHooks,
  type TrainJob,
} from '@dualfit/core'

export const SEED = builtinDataset('meters-feet')
export const DENSE1: LayerSpec[] = [{ units: 1, activation: 'linear' }]
export const ENGINES = ['cpu', 'wasm'] as const

export const dense1 = (w: number, b: number): LayerWeights[] => [
  { inputs: 1, units: 1, kernel: Float32Array.of(w), bias: Float32Array.of(b) },
]

/** Dense(1), MSE, Adam on the seed data with harness conventions; override anything. */
export function job(overrides: Partial<TrainJob> = {}): TrainJob {
  return {
    engine: 'cpu',
    model: { inputs: 1, layers: DENSE1 },
    loss: { name: 'mse', delta: 1 },
    optimizer: resolveOptimizer(
      { name: 'adam', lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-7, momentum: 0 },
      'tfjs',
    ),
    epochs: 1,
    batchSize: SEED.n,
    data: SEED,
    initialWeights: dense1(0.5, 0.25),
    order: batchOrder(SEED.n, true, 42),
    seed: 0,
    ...overrides,
  }
}

/** Hooks that answer 'stop' where `stop` says so (default: never). */
export const hooks = (stop: (epoch: number) => boolean = () => false): TrainHooks => ({
  onEpochEnd: async (epoch) => (stop(epoch) ? 'stop' : 'continue'),
})

/** Trains and keeps what the harness would record (the testkit's helper). */
export const fit = trainRecorded
