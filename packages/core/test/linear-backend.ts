import type {
  Backend,
  LayerWeights,
  TrainedModel,
  TrainHooks,
  TrainJob,
  TrainResult,
  TrainSettings,
} from '../src/index.js'
import { batches, initialWeights } from '../src/index.js'

/**
 * A test double: a Dense(units=1, linear) model trained by PyTorch-style Adam in float64,
 * in plain TypeScript. It records every job it is given.
 */
export class LinearBackend implements Backend {
  readonly id: string = 'test-linear'
  readonly version = 'test-linear@0'
  readonly jobs: TrainJob[] = []
  /** Multiplies every loss, e.g. by NaN to simulate divergence for some learning rates. */
  constructor(private readonly lossHook: (lr: number, epoch: number) => number = () => 1) {}

  readonly engines = [
    { id: 'js', device: 'cpu' as const, detail: 'plain TypeScript', probe: async () => null },
    { id: 'gpu', device: 'gpu' as const, detail: 'a GPU', probe: async () => 'no GPU in tests' },
  ]

  async train(job: TrainJob, hooks: TrainHooks): Promise<TrainResult> {
    this.jobs.push(job)
    const { x, y, n, inputs } = job.data
    const w0 = job.initialWeights ?? initialWeights('torch', inputs, job.model.layers, job.seed)
    const w = Array.from(w0[0]?.kernel ?? [])
    let b = w0[0]?.bias[0] ?? 0
    const m = new Array(inputs + 1).fill(0)
    const v = new Array(inputs + 1).fill(0)
    const { lr, beta1, beta2 } = job.optimizer
    const eps = job.optimizer.eps ?? 1e-8
    const history: number[] = []
    let steps = 0
    const current = (): LayerWeights[] => [
      { inputs, units: 1, kernel: Float32Array.from(w), bias: Float32Array.from([b]) },
    ]
    for (let epoch = 0; epoch < job.epochs; epoch++) {
      const order = job.order?.(epoch) ?? Uint32Array.from({ length: n }, (_, i) => i)
      let sum = 0
      for (const batch of batches(order, job.batchSize)) {
        const g = new Array(inputs + 1).fill(0)
        let loss = 0
        for (const i of batch) {
          let pred = b
          for (let j = 0; j < inputs; j++) pred += (w[j] as number) * (x[i * inputs + j] as number)
          const d = pred - (y[i] as number)
          loss += (d * d) / batch.length
          for (let j = 0; j < inputs; j++) g[j] += (2 * d * (x[i * inputs + j] as number)) / batch.length
          g[inputs] += (2 * d) / batch.length
        }
        sum += loss * batch.length
        steps++
        for (let k = 0; k <= inputs; k++) {
          m[k] = beta1 * m[k] + (1 - beta1) * g[k]
          v[k] = beta2 * v[k] + (1 - beta2) * g[k] * g[k]
          const step = (lr * (m[k] / (1 - beta1 ** steps))) / (Math.sqrt(v[k] / (1 - beta2 ** steps)) + eps)
          if (k < inputs) w[k] = (w[k] as number) - step
          else b -= step
        }
      }
      history.push((sum / n) * this.lossHook(lr, epoch))
      const answer = await hooks.onEpochEnd(epoch, { loss: history[epoch] as number }, async () => current())
      if (answer === 'stop') break
    }
    return { weights: current(), steps, setupMs: 0 }
  }

  settings(job: TrainJob): TrainSettings {
    return {
      initializer: job.initialWeights ? 'given' : "core's 'torch' draw",
      order: job.order ? 'given' : 'row order',
      batchSize: job.batchSize,
      epsilon: { value: job.optimizer.eps ?? 1e-8, placement: 'sqrt(v_hat) + eps' },
      lossReduction: 'mean',
    }
  }

  async predict(model: TrainedModel, x: Float32Array): Promise<Float32Array> {
    const l = model.weights[0] as LayerWeights
    const n = x.length / model.inputs
    return Float32Array.from({ length: n }, (_, i) => {
      let s = l.bias[0] as number
      for (let j = 0; j < model.inputs; j++)
        s += (l.kernel[j] as number) * (x[i * model.inputs + j] as number)
      return s
    })
  }

  async dispose() {}
}
