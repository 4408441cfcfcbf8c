import { trainRecorded } from '@dualfit/backend-testkit'
import {
  type Backend,
  batchOrder,
  type DataSplit,
  initialWeights,
  type LayerSpec,
  type LossSpec,
  PROBABILITY_CLIP,
  Rng,
  resolveOptimizer,
  type TrainJob,
  UserError,
} from '@dualfit/core'
import { afterAll, describe, expect, it } from 'vitest'
import { criterionFor } from '../src/backend.js'
import { createBackend, nn, tensor } from '../src/index.js'
import { pythonTorch, torchReference } from './torch-reference.js'

const backend: Backend = createBackend()
afterAll(() => backend.dispose())

const ce = (fromLogits: boolean): LossSpec => ({ name: 'cross_entropy', delta: 1, fromLogits })
const bce = (fromLogits: boolean): LossSpec => ({ name: 'binary_cross_entropy', delta: 1, fromLogits })

/** `perClass` rows around each center, +-0.5 uniform noise; y holds the class indices. */
function clusters(centers: [number, number][], perClass: number, seed: number): DataSplit {
  const rng = new Rng(seed, 'clusters')
  const x: number[] = []
  const y: number[] = []
  for (let i = 0; i < perClass; i++)
    centers.forEach(([a, b], k) => {
      x.push(a + rng.uniform(-0.5, 0.5), b + rng.uniform(-0.5, 0.5))
      y.push(k)
    })
  return { n: y.length, inputs: 2, outputs: 1, x: Float32Array.from(x), y: Float32Array.from(y) }
}
const THREE = clusters(
  [
    [0, 2],
    [-2, -1],
    [2, -1],
  ],
  10,
  1,
)
const TWO = clusters(
  [
    [-1, -1],
    [1, 1],
  ],
  10,
  2,
)

/** A classifier's last layer for `loss`: K logits, softmax, one logit or one sigmoid. */
function layersFor(loss: LossSpec, classes: number): LayerSpec[] {
  const units = loss.name === 'cross_entropy' ? classes : 1
  const probability = loss.name === 'cross_entropy' ? 'softmax' : 'sigmoid'
  return [
    { units: 6, activation: 'tanh' },
    { units, activation: loss.fromLogits ? 'linear' : probability },
  ]
}

function job(loss: LossSpec, data: DataSplit, over: Partial<TrainJob> = {}): TrainJob {
  const layers = layersFor(loss, loss.name === 'cross_entropy' ? 3 : 2)
  return {
    engine: 'cpu',
    model: { inputs: 2, layers },
    loss,
    optimizer: resolveOptimizer(
      { name: 'adam', lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, momentum: 0 },
      'torch',
    ),
    epochs: 60,
    batchSize: data.n,
    data,
    initialWeights: initialWeights('torch', 2, layers, 3),
    order: batchOrder(data.n, false, 0),
    seed: 0,
    ...over,
  }
}

/** The predicted class of each row: argmax, or p > 0.5 (logit > 0) for one output. */
function labels(y: Float32Array, n: number, threshold: number): number[] {
  const width = y.length / n
  return Array.from({ length: n }, (_, r) => {
    const row = Array.from(y.subarray(r * width, (r + 1) * width))
    return width === 1 ? Number((row[0] as number) > threshold) : row.indexOf(Math.max(...row))
  })
}

describe('torch-style classification', () => {
  it.each([
    ['CrossEntropyLoss', ce(true), THREE],
    ['nn.Softmax + KerasCategoricalCrossentropy', ce(false), THREE],
    ['BCEWithLogitsLoss', bce(true), TWO],
    ['nn.Sigmoid + KerasBinaryCrossentropy', bce(false), TWO],
  ] as const)('%s trains the toy problem to accuracy 1', async (_name, loss, data) => {
    for (const engine of ['cpu', 'wasm']) {
      const r = await trainRecorded(backend, job(loss, data, { engine }))
      expect(r.history.loss[59]).toBeLessThan((r.history.loss[0] as number) / 4)
      const y = await backend.predict(r.model, data.x, engine)
      const outputs = y.length / data.n
      if (!loss.fromLogits && outputs > 1)
        for (let i = 0; i < data.n; i++)
          expect(y.subarray(i * outputs, (i + 1) * outputs).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6)
      expect(labels(y, data.n, loss.fromLogits ? 0 : 0.5)).toEqual(Array.from(data.y))
    }
  })

  it('states where the softmax/sigmoid sits and the clip it applies', () => {
    const settings = (loss: LossSpec) => backend.settings(job(loss, THREE)).probabilities
    const clip: [number, number] = [PROBABILITY_CLIP, 1 - PROBABILITY_CLIP]
    expect(settings(ce(true))).toEqual({ activation: 'softmax', at: 'loss', clip: null })
    expect(settings(ce(false))).toEqual({ activation: 'softmax', at: 'model', clip })
    expect(settings(bce(true))).toEqual({ activation: 'sigmoid', at: 'loss', clip: null })
    expect(settings(bce(false))).toEqual({ activation: 'sigmoid', at: 'model', clip })
    expect(settings({ name: 'mse', delta: 1 })).toBeUndefined()
  })

  it('criteria check shapes and class indices as PyTorch does', () => {
    const logits = tensor(new Float32Array(6), [2, 3])
    expect(() => nn.CrossEntropyLoss()(logits, tensor([0, 3]))).toThrow(
      new UserError('CrossEntropyLoss: target 3 (row 1) is not a class index in 0..2'),
    )
    expect(() => nn.CrossEntropyLoss()(logits, tensor([0.5, 1], [2, 1]))).toThrow(/target 0\.5 \(row 0\)/)
    expect(() => nn.CrossEntropyLoss()(logits, tensor([0, 1, 2], [3]))).toThrow(
      'CrossEntropyLoss: expected input [batch, classes] and target [batch] or [batch, 1], got [2,3] and [3]',
    )
    expect(() => nn.BCEWithLogitsLoss()(tensor([0, 0], [2, 1]), tensor([0, 1]))).toThrow(
      'BCEWithLogitsLoss: input [2,1] and target [2] differ in shape',
    )
    expect(() => new nn.Softmax(0)).toThrow('Softmax(dim=0): expected dim 1 or -1 (the class axis)')
  })

  it('CrossEntropyLoss takes 1-D targets and gives logsumexp(z) - z[y]', async () => {
    const z = [1, 2, 3, -1, 0, 4]
    // An identity Linear: a graph needs a layer to train.
    const identity = {
      inputs: 3,
      units: 3,
      kernel: Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1),
      bias: new Float32Array(3),
    }
    const logits = new nn.Linear(3, 3, identity).forward(tensor(z, [2, 3]))
    const loss = await criterionFor(ce(true))(logits, tensor([2, 0])).compute()
    const lse = (row: number[]) => Math.log(row.reduce((a, v) => a + Math.exp(v), 0))
    expect(loss[0]).toBeCloseTo((lse([1, 2, 3]) - 3 + lse([-1, 0, 4]) + 1) / 2, 6)
  })
  it("BCEWithLogitsLoss keeps a confident row's tiny loss, log1p(exp(-|z|)), as PyTorch does", async () => {
    const z = new nn.Linear(1, 1, {
      inputs: 1,
      units: 1,
      kernel: Float32Array.of(1),
      bias: Float32Array.of(0),
    })
    const loss = await nn
      .BCEWithLogitsLoss()(z.forward(tensor([20, -30], [2, 1])), tensor([1, 0], [2, 1]))
      .compute()
    expect((loss[0] as number) / ((Math.log1p(Math.exp(-20)) + Math.log1p(Math.exp(-30))) / 2)).toBeCloseTo(
      1,
      6,
    )
  })
})

const missing = pythonTorch()

describe.skipIf(missing !== null)(`against real PyTorch${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('full-batch SGD losses agree to 1e-5 relative for every classification loss, cpu and wasm', {
    timeout: 60_000,
  }, async () => {
    const losses = [ce(true), ce(false), bce(true), bce(false)]
    const STEPS = 6
    const jobs = ['cpu', 'wasm'].flatMap((engine) =>
      losses.map((loss) =>
        job(loss, loss.name === 'cross_entropy' ? THREE : TWO, {
          engine,
          epochs: STEPS,
          optimizer: resolveOptimizer(
            { name: 'sgd', lr: 0.5, beta1: 0.9, beta2: 0.999, eps: null, momentum: 0 },
            'torch',
          ),
        }),
      ),
    )
    const input = jobs.map((j) => ({
      inputs: 2,
      layers: j.model.layers,
      weights: j.initialWeights?.map((w) => ({ kernel: Array.from(w.kernel), bias: Array.from(w.bias) })),
      loss: j.loss.name,
      fromLogits: j.loss.fromLogits,
      x: Array.from(j.data.x),
      y: Array.from(j.data.y),
      lr: 0.5,
      steps: STEPS,
    }))
    const want = torchReference(input).map((r) => r.losses)
    for (const [i, j] of jobs.entries()) {
      const got = (await trainRecorded(backend, j)).history.loss
      const torch = want[i] as number[]
      expect(got).toHaveLength(STEPS)
      got.forEach((l, s) => {
        const want = torch[s] as number
        expect(
          Math.abs(l - want) / want,
          `${j.engine} ${j.loss.name} ${j.loss.fromLogits} step ${s}`,
        ).toBeLessThanOrEqual(1e-5)
      })
    }
  })
})
