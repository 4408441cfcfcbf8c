import {
  type Backend,
  batches,
  batchOrder,
  builtinDataset,
  type EpochDecision,
  type LayerSpec,
  type LayerWeights,
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
    optimizer: { name: 'adam', lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-7, momentum: 0 },
    epochs: 1,
    batchSize: SEED.n,
    data: SEED,
    initialWeights: dense1(0.5, 0.25),
    order: batchOrder(SEED.n, true, 42),
    seed: 0,
    restoreBestWeights: false,
    ...overrides,
  }
}

export const CONTINUE: EpochDecision = { stop: false, snapshot: false }
export const hooks = (decide: TrainHooks['onEpochEnd'] = () => CONTINUE): TrainHooks => ({
  onEpochEnd: decide,
})

/**
 * The same training by hand, in float64: Dense(1) on one input, MSE, TF.js' Adam
 * (bias-corrected moments, eps added to the root), visiting `order(epoch)` in batches.
 */
export function referenceAdam(j: TrainJob): { loss: number[]; w: number; b: number } {
  const { lr, beta1, beta2 } = j.optimizer
  const eps = j.optimizer.eps ?? 1e-7
  const [x, y] = [j.data.x, j.data.y]
  let w = j.initialWeights?.[0]?.kernel[0] as number
  let b = j.initialWeights?.[0]?.bias[0] as number
  // Moments of [w, b].
  const m = [0, 0]
  const v = [0, 0]
  let t = 0
  const loss: number[] = []
  for (let e = 0; e < j.epochs; e++) {
    let sum = 0
    for (const batch of batches((j.order as (e: number) => Uint32Array)(e), j.batchSize)) {
      let [gw, gb] = [0, 0]
      for (const i of batch) {
        const xi = x[i] as number
        const d = w * xi + b - (y[i] as number)
        sum += d * d
        gw += (2 * d * xi) / batch.length
        gb += (2 * d) / batch.length
      }
      t++
      const [sw, sb] = [gw, gb].map((g, k) => {
        m[k] = beta1 * (m[k] as number) + (1 - beta1) * g
        v[k] = beta2 * (v[k] as number) + (1 - beta2) * g * g
        return (
          (lr * ((m[k] as number) / (1 - beta1 ** t))) /
          (Math.sqrt((v[k] as number) / (1 - beta2 ** t)) + eps)
        )
      }) as [number, number]
      w -= sw
      b -= sb
    }
    loss.push(sum / j.data.n)
  }
  return { loss, w, b }
}

/** Trains and keeps what the harness would record: each epoch's logs, the epochs run, the call's time. */
export async function fit(backend: Backend, j: TrainJob, h: TrainHooks = hooks()) {
  const history: { loss: number[]; valLoss?: number[] } = { loss: [] }
  const t0 = performance.now()
  const r = await backend.train(j, {
    onEpochEnd: (epoch, logs) => {
      history.loss.push(logs.loss)
      if (logs.valLoss !== undefined) {
        history.valLoss ??= []
        history.valLoss.push(logs.valLoss)
      }
      return h.onEpochEnd(epoch, logs)
    },
  })
  const trainMs = performance.now() - t0 - r.setupMs
  const model = { inputs: j.model.inputs, layers: j.model.layers, weights: r.weights }
  return { ...r, history, epochsRun: history.loss.length, model, timings: { trainMs } }
}
