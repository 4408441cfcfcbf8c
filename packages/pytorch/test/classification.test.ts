import { execFileSync } from 'node:child_process'
import {
  batchOrder,
  type DataSplit,
  type EpochLogs,
  forwardRow,
  initialWeights,
  type LayerSpec,
  type LayerWeights,
  type LossSpec,
  resolveOptimizer,
  type TrainHooks,
  type TrainJob,
  type TrainOptimizer,
} from '@dualfit/core'
import { afterAll, describe, expect, it } from 'vitest'
import { createBackend } from '../src/index.js'
import { PYTHON, rejection, titled, unavailableReason } from './helpers.js'

const reason = await unavailableReason()

const CLIP = 1e-7
const SGD: TrainOptimizer = resolveOptimizer(
  { name: 'sgd', lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, momentum: 0 },
  'torch',
)
const ADAM: TrainOptimizer = { ...SGD, name: 'adam', lr: 0.05 }
const ce = (fromLogits: boolean): LossSpec => ({ name: 'cross_entropy', delta: 1, fromLogits })
const bce = (fromLogits: boolean): LossSpec => ({ name: 'binary_cross_entropy', delta: 1, fromLogits })

/** The last layer's activation each classification loss pairs with (core's spec refuses the others). */
const lastActivation = (loss: LossSpec): LayerSpec['activation'] =>
  loss.fromLogits ? 'linear' : loss.name === 'cross_entropy' ? 'softmax' : 'sigmoid'

const softmax = (z: number[]) => {
  const top = Math.max(...z)
  const e = z.map((v) => Math.exp(v - top))
  const sum = e.reduce((a, b) => a + b, 0)
  return e.map((v) => v / sum)
}
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z))
const clipped = (p: number) => Math.min(Math.max(p, CLIP), 1 - CLIP)
const inClip = (p: number) => p >= CLIP && p <= 1 - CLIP

/**
 * Float64 mean loss over rows of z (the last layer before its softmax/sigmoid) and d loss / dz, as
 * core's spec defines them. Keras' form (fromLogits false): clipped p, whose gradient is 0 outside
 * the interval; inside it the chain through p / sum(p) and softmax (or sigmoid) gives (p - onehot) / B.
 */
function reference(loss: LossSpec, z: number[][], y: number[]): { loss: number; dz: number[][] } {
  const b = z.length
  let total = 0
  const dz = z.map((row, r) => {
    const t = y[r] as number
    if (loss.name === 'cross_entropy') {
      const p = softmax(row)
      const py = p[t] as number
      const top = Math.max(...row)
      const logSumExp = top + Math.log(row.reduce((s, v) => s + Math.exp(v - top), 0))
      total += loss.fromLogits ? logSumExp - (row[t] as number) : -Math.log(clipped(py))
      const pass = loss.fromLogits || inClip(py)
      return p.map((v, k) => (pass ? (v - (k === t ? 1 : 0)) / b : 0))
    }
    const v = row[0] as number
    const p = sigmoid(v)
    const c = clipped(p)
    total += loss.fromLogits
      ? Math.max(v, 0) - v * t + Math.log1p(Math.exp(-Math.abs(v)))
      : -(t * Math.log(c) + (1 - t) * Math.log(1 - c))
    return [loss.fromLogits || inClip(p) ? (p - t) / b : 0]
  })
  return { loss: total / b, dz }
}

/** Each row's last-layer pre-activation z, in float64. */
function logits(layers: LayerSpec[], weights: LayerWeights[], x: Float32Array, inputs: number): number[][] {
  const linear = layers.map((l, k) => (k === layers.length - 1 ? { ...l, activation: 'linear' as const } : l))
  const rows: number[][] = []
  for (let r = 0; r < x.length / inputs; r++)
    rows.push(forwardRow({ layers: linear, weights }, x.subarray(r * inputs, (r + 1) * inputs)))
  return rows
}

const record = () => {
  const calls: EpochLogs[] = []
  const hooks: TrainHooks = {
    async onEpochEnd(_epoch, logs) {
      calls.push(logs)
      return 'continue'
    },
  }
  return { calls, hooks }
}

/** Rows of labels as core passes them: one float32 column of class indices. */
const split = (x: number[], y: number[]): DataSplit => ({
  n: y.length,
  inputs: 2,
  outputs: 1,
  x: Float32Array.from(x),
  y: Float32Array.from(y),
})

/**
 * Three clusters of 10 points around (2, 0), (-1, 1.7) and (-1, -1.7), on fixed offsets; `shift`
 * moves the offsets so that a second call gives other points of the same clusters.
 */
function clusters(shift = 0): DataSplit {
  const x: number[] = []
  const y: number[] = []
  const centers = [
    [2, 0],
    [-1, 1.7],
    [-1, -1.7],
  ]
  for (let i = 0; i < 10; i++)
    centers.forEach(([cx, cy], k) => {
      const angle = (i + shift) * 2.399 + k
      const radius = 0.2 + 0.06 * ((i * 3 + k) % 10)
      x.push((cx as number) + radius * Math.cos(angle), (cy as number) + radius * Math.sin(angle))
      y.push(k)
    })
  return split(x, y)
}

describe.skipIf(reason)(titled('pytorch backend: classification', reason), () => {
  const backend = createBackend()
  afterAll(() => backend.dispose())

  // The last row's true class gets a probability far under 1e-7: the Keras forms clip it (and pass
  // no gradient for it), the logit forms take its full loss.
  const x = [0.5, -1, -0.25, 0.75, 1.5, 0.5, -40, 40]
  it.each([
    ['cross_entropy, fromLogits true', ce(true), 3, [2, 1, 0, 0]],
    ['cross_entropy, fromLogits false (softmax, clipped)', ce(false), 3, [2, 1, 0, 0]],
    ['binary_cross_entropy, fromLogits true', bce(true), 1, [1, 0, 1, 1]],
    ['binary_cross_entropy, fromLogits false (sigmoid, clipped)', bce(false), 1, [1, 0, 1, 1]],
  ] as const)('takes one SGD step as the float64 computation does: %s', async (_, loss, units, labels) => {
    const layers: LayerSpec[] = [{ units, activation: lastActivation(loss) }]
    const kernel = [0.5, -0.25, 0.1, -0.3, 0.4, 0.2]
    const start: LayerWeights[] = [
      {
        inputs: 2,
        units,
        // [inputs, units]: the first `units` columns of a 2 x 3 kernel.
        kernel: Float32Array.from(kernel.filter((_, i) => i % 3 < units)),
        bias: Float32Array.from([0.1, -0.1, 0.05].slice(0, units)),
      },
    ]
    const d = split(x, [...labels])
    const r = record()
    const result = await backend.train(
      {
        engine: 'cpu',
        model: { inputs: 2, layers },
        loss,
        optimizer: SGD,
        epochs: 1,
        batchSize: d.n,
        data: d,
        initialWeights: start,
        order: batchOrder(d.n, false, 0),
        seed: 1,
      },
      r.hooks,
    )
    const ref = reference(loss, logits(layers, start, d.x, 2), [...labels])
    const recorded = r.calls[0]?.loss as number
    console.info(`${loss.name} fromLogits ${loss.fromLogits}: loss ${recorded} vs float64 ${ref.loss}`)
    expect(Math.abs(recorded - ref.loss) / ref.loss).toBeLessThan(1e-6)
    // SGD: w -= lr * x^T dz, b -= lr * sum(dz).
    const w = start[0] as LayerWeights
    const got = result.weights[0] as LayerWeights
    let moved = 0
    for (let u = 0; u < units; u++) {
      let gb = 0
      const gk = [0, 0]
      ref.dz.forEach((row, r) => {
        gb += row[u] as number
        for (let i = 0; i < 2; i++) gk[i] = (gk[i] as number) + (x[r * 2 + i] as number) * (row[u] as number)
      })
      moved = Math.max(moved, Math.abs(gb))
      expect(Math.abs((got.bias[u] as number) - ((w.bias[u] as number) - SGD.lr * gb))).toBeLessThan(1e-6)
      for (let i = 0; i < 2; i++) {
        const k = i * units + u
        expect(
          Math.abs((got.kernel[k] as number) - ((w.kernel[k] as number) - SGD.lr * (gk[i] as number))),
        ).toBeLessThan(1e-6)
      }
    }
    expect(moved).toBeGreaterThan(1e-2) // the step is not vacuous
  })

  it.each([
    ['logits, nn.CrossEntropyLoss', true],
    ['softmax layer, Keras cross entropy', false],
  ])(
    'trains a 3-class toy problem to accuracy 1 (%s), valLoss as the float64 loss',
    async (_, fromLogits) => {
      const loss = ce(fromLogits)
      const layers: LayerSpec[] = [
        { units: 8, activation: 'tanh' },
        { units: 3, activation: lastActivation(loss) },
      ]
      const data = clusters()
      const validation = clusters(0.5)
      const r = record()
      const result = await backend.train(
        {
          engine: 'cpu',
          model: { inputs: 2, layers },
          loss,
          optimizer: ADAM,
          epochs: 40,
          batchSize: 10,
          data,
          validation,
          initialWeights: initialWeights('torch', 2, layers, 4, 'classification'),
          order: batchOrder(data.n, true, 4, 'classification'),
          seed: 4,
        },
        r.hooks,
      )
      const model = { inputs: 2, layers, weights: result.weights }
      const y = await backend.predict(model, data.x, 'cpu')
      expect(y).toHaveLength(data.n * 3)
      let correct = 0
      for (let row = 0; row < data.n; row++) {
        const out = Array.from(y.subarray(row * 3, row * 3 + 3))
        if (out.indexOf(Math.max(...out)) === data.y[row]) correct++
        // Raw outputs: probabilities from a softmax layer, logits otherwise.
        if (!fromLogits) expect(Math.abs(out.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6)
      }
      expect(correct / data.n).toBe(1)
      const first = r.calls[0]?.loss as number
      const last = r.calls[r.calls.length - 1] as EpochLogs
      expect(last.loss).toBeLessThan(first / 4)
      const val = reference(loss, logits(layers, result.weights, validation.x, 2), Array.from(validation.y))
      expect(Math.abs((last.valLoss as number) - val.loss) / val.loss).toBeLessThan(1e-5)
    },
  )

  it('refuses labels that are not class indices of the last layer, and stays usable', async () => {
    const layers: LayerSpec[] = [{ units: 3, activation: 'linear' }]
    const job = (y: number[]): TrainJob => ({
      engine: 'cpu',
      model: { inputs: 2, layers },
      loss: ce(true),
      optimizer: SGD,
      epochs: 1,
      batchSize: 2,
      data: split([0, 1, 1, 0], y),
      initialWeights: null,
      order: null,
      seed: 1,
    })
    const go = async () => 'continue' as const
    for (const y of [
      [0, 3],
      [0, 1.5],
      [-1, 0],
    ]) {
      const err = await rejection(backend.train(job(y), { onEpochEnd: go }))
      expect(err.message).toBe('pytorch: ValueError: y: expected class indices 0 to 2')
    }
    expect((await backend.train(job([0, 2]), { onEpochEnd: go })).steps).toBe(1)
  })

  it('saves a softmax model that PyTorch loads back and runs as predict does', async () => {
    const layers: LayerSpec[] = [
      { units: 4, activation: 'relu' },
      { units: 3, activation: 'softmax' },
    ]
    const model = { inputs: 2, layers, weights: initialWeights('torch', 2, layers, 9) }
    const x = Float32Array.of(0.5, -1, 2, 0.25, -1.5, 1)
    const files = await backend.save(model, 'pt')
    const script = [
      'import io, json, sys, torch',
      'from torch import nn',
      'm = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3), nn.Softmax(dim=1))',
      'm.load_state_dict(torch.load(io.BytesIO(sys.stdin.buffer.read())))',
      `print(json.dumps(m(torch.tensor(${JSON.stringify(Array.from(x))}).reshape(3, 2)).reshape(-1).tolist()))`,
    ].join('\n')
    const loaded = JSON.parse(
      execFileSync(PYTHON, ['-c', script], { input: files['model.pt'], encoding: 'utf8' }),
    ) as number[]
    expect(loaded).toEqual(Array.from(await backend.predict(model, x, 'cpu')))
  })
})

// settings(job) is TypeScript only: no python needed.
describe('pytorch backend: settings for classification', () => {
  const backend = createBackend()
  afterAll(() => backend.dispose())
  const settingsOf = (loss: LossSpec) =>
    backend.settings({
      engine: 'cpu',
      model: { inputs: 2, layers: [{ units: 1, activation: 'linear' }] },
      loss,
      optimizer: SGD,
      epochs: 1,
      batchSize: 1,
      data: split([0, 0], [0]),
      initialWeights: null,
      order: null,
      seed: 1,
    }).probabilities

  it('states where the softmax or sigmoid sits and the clip each loss applies', () => {
    expect(settingsOf(ce(true))).toEqual({ activation: 'softmax', at: 'loss', clip: null })
    expect(settingsOf(ce(false))).toEqual({ activation: 'softmax', at: 'model', clip: [1e-7, 1 - 1e-7] })
    expect(settingsOf(bce(true))).toEqual({ activation: 'sigmoid', at: 'loss', clip: null })
    expect(settingsOf(bce(false))).toEqual({ activation: 'sigmoid', at: 'model', clip: [1e-7, 1 - 1e-7] })
    expect(settingsOf({ name: 'mse', delta: 1 })).toBeUndefined()
  })
})
