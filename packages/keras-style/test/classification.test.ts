import {
  batchOrder,
  type DataSplit,
  type LayerSpec,
  type LayerWeights,
  type LossSpec,
  PROBABILITY_CLIP,
  Rng,
  subset,
  type TrainJob,
} from '@dualfit/core'
import { afterAll, describe, expect, it } from 'vitest'
import { createBackend } from '../src/index.js'
import { ENGINES, fit, hooks, job } from './helpers.js'

const backend = createBackend()
afterAll(() => backend.dispose())

const CASES = [
  { name: 'cross_entropy', fromLogits: true },
  { name: 'cross_entropy', fromLogits: false },
  { name: 'binary_cross_entropy', fromLogits: true },
  { name: 'binary_cross_entropy', fromLogits: false },
] as const
type Case = (typeof CASES)[number]
const lossOf = (c: Case): LossSpec => ({ ...c, delta: 1 })

/** One Dense layer on 2 inputs: 3 classes, or 1 unit for the binary loss. */
const layerOf = (c: Case): LayerSpec => {
  const binary = c.name === 'binary_cross_entropy'
  return {
    units: binary ? 1 : 3,
    activation: c.fromLogits ? 'linear' : binary ? 'sigmoid' : 'softmax',
  }
}
const weightsOf = (c: Case): LayerWeights[] =>
  c.name === 'binary_cross_entropy'
    ? [{ inputs: 2, units: 1, kernel: Float32Array.of(0.5, -0.4), bias: Float32Array.of(0.1) }]
    : [
        {
          inputs: 2,
          units: 3,
          kernel: Float32Array.of(0.5, -0.3, 0.2, -0.4, 0.6, 0.1),
          bias: Float32Array.of(0.1, -0.2, 0.05),
        },
      ]

/**
 * Four ordinary rows, then one the model is sure of and wrong about: its logits are about [54, -54, 6]
 * (label 2) and 54 (label 0), so every probability lies outside [1e-7, 1 - 1e-7].
 */
const X = Float32Array.of(0.3, -0.7, 1.1, 0.4, -0.6, 0.9, 0.2, 0.2, 60, -60)
const dataOf = (c: Case): DataSplit => ({
  n: 5,
  inputs: 2,
  outputs: 1,
  x: X,
  y: c.name === 'binary_cross_entropy' ? Float32Array.of(1, 0, 1, 0, 0) : Float32Array.of(0, 1, 2, 1, 2),
})
const ORDINARY = [0, 1, 2, 3]

const LR = 0.05
const classJob = (c: Case, engine: string, overrides: Partial<TrainJob> = {}) => {
  const data = overrides.data ?? dataOf(c)
  return job({
    engine,
    model: { inputs: 2, layers: [layerOf(c)] },
    loss: lossOf(c),
    optimizer: { ...job().optimizer, name: 'sgd', lr: LR, momentum: 0 },
    data,
    batchSize: data.n,
    initialWeights: weightsOf(c),
    order: batchOrder(data.n, false, 0),
    ...overrides,
  })
}

// The clip's upper bound as float32 holds it: 1 - 1e-7 rounds to 1 - 2^-23.
const [LOW, HIGH] = [PROBABILITY_CLIP, Math.fround(1 - PROBABILITY_CLIP)]
const inside = (p: number) => p >= LOW && p <= HIGH

type Dense = Pick<LayerWeights, 'units'> & { kernel: ArrayLike<number>; bias: ArrayLike<number> }

/**
 * The mean loss and its gradient for one Dense layer, float64, as the design states the losses: a
 * row whose probability is clipped passes no gradient (it is all-or-none in these rows: checked).
 */
function reference(c: Case, w: Dense, d: DataSplit) {
  const K = w.units
  const gKernel = new Array<number>(w.kernel.length).fill(0)
  const gBias = new Array<number>(K).fill(0)
  let loss = 0
  for (let r = 0; r < d.n; r++) {
    const x = Array.from(d.x.subarray(r * d.inputs, (r + 1) * d.inputs))
    const z = Array.from(w.bias, (b, k) => x.reduce((a, v, i) => a + v * (w.kernel[i * K + k] as number), b))
    const y = d.y[r] as number
    let dz: number[]
    if (c.name === 'cross_entropy') {
      const top = Math.max(...z)
      const lse = top + Math.log(z.reduce((a, v) => a + Math.exp(v - top), 0))
      const p = z.map((v) => Math.exp(v - lse))
      dz = p.map((v, k) => v - (k === y ? 1 : 0))
      if (c.fromLogits) loss += lse - (z[y] as number)
      else {
        const pass = inside(p[y] as number)
        if (p.some((v) => inside(v) !== pass)) throw new Error(`row ${r}: clipped in part`)
        loss -= Math.log(Math.min(Math.max(p[y] as number, LOW), HIGH))
        if (!pass) dz = dz.map(() => 0)
      }
    } else {
      const v = z[0] as number
      const p = 1 / (1 + Math.exp(-v))
      dz = [p - y]
      if (c.fromLogits) loss += Math.max(v, 0) - v * y + Math.log1p(Math.exp(-Math.abs(v)))
      else {
        const pc = Math.min(Math.max(p, LOW), HIGH)
        loss -= y * Math.log(pc) + (1 - y) * Math.log(1 - pc)
        if (!inside(p)) dz = [0]
      }
    }
    dz.forEach((g, k) => {
      gBias[k] = (gBias[k] as number) + g / d.n
      x.forEach((v, i) => {
        gKernel[i * K + k] = (gKernel[i * K + k] as number) + (v * g) / d.n
      })
    })
  }
  return { loss: loss / d.n, gKernel, gBias }
}

const step = (w: Dense, g: ReturnType<typeof reference>): Dense => ({
  units: w.units,
  kernel: Array.from(w.kernel, (v, i) => v - LR * (g.gKernel[i] as number)),
  bias: Array.from(w.bias, (v, i) => v - LR * (g.gBias[i] as number)),
})

const expectClose = (got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5) => {
  expect(got).toHaveLength(want.length)
  for (let i = 0; i < want.length; i++)
    expect(Math.abs((got[i] as number) - (want[i] as number))).toBeLessThan(
      tol * (1 + Math.abs(want[i] as number)),
    )
}

describe.each(ENGINES)('classification losses on %s', (engine) => {
  it.each(CASES)(
    '$name, fromLogits $fromLogits: the loss before and after one SGD step, float64 reference',
    async (c) => {
      const r = await fit(backend, classJob(c, engine, { epochs: 2 }), hooks())
      const w0 = weightsOf(c)[0] as LayerWeights
      const g0 = reference(c, w0, dataOf(c))
      const w1 = step(w0, g0)
      const g1 = reference(c, w1, dataOf(c))
      expectClose(r.history.loss, [g0.loss, g1.loss])
      const w2 = step(w1, g1)
      expectClose(r.model.weights[0]?.kernel ?? [], w2.kernel)
      expectClose(r.model.weights[0]?.bias ?? [], w2.bias)
    },
  )

  it.each(['cross_entropy', 'binary_cross_entropy'] as const)(
    '%s: fromLogits true and false differ only where false clips',
    async (name) => {
      const [logits, probs] = [
        { name, fromLogits: true },
        { name, fromLogits: false },
      ] as const
      const ordinary = (c: Case) => ({ data: subset(dataOf(c), ORDINARY), epochs: 3 })
      const a = await fit(backend, classJob(logits, engine, ordinary(logits)), hooks())
      const b = await fit(backend, classJob(probs, engine, ordinary(probs)), hooks())
      expectClose(b.history.loss, a.history.loss)
      expectClose(b.model.weights[0]?.kernel ?? [], a.model.weights[0]?.kernel ?? [])
      expectClose(b.model.weights[0]?.bias ?? [], a.model.weights[0]?.bias ?? [])
      // The sure-and-wrong row: false clips its probabilities, so it adds to the loss (-log 1e-7 for
      // the softmax's label; -log(2^-23) for the sigmoid's, past the float32 bound) but no gradient:
      // over 5 rows the step is 4/5 of the step over the 4 ordinary rows.
      const once = { epochs: 1 }
      const w0 = weightsOf(probs)[0] as LayerWeights
      const without = await fit(backend, classJob(probs, engine, { ...ordinary(probs), ...once }), hooks())
      const all = await fit(backend, classJob(probs, engine, once), hooks())
      const share = (w: LayerWeights | undefined) =>
        Array.from(w?.kernel ?? [], (v, i) => (v - (w0.kernel[i] as number)) * 0.8 + (w0.kernel[i] as number))
      expectClose(all.model.weights[0]?.kernel ?? [], share(without.model.weights[0]), 1e-6)
      const sure = name === 'cross_entropy' ? -Math.log(LOW) : -Math.log(1 - HIGH)
      expectClose(all.history.loss, [((without.history.loss[0] as number) * 4 + sure) / 5])
      // Under true the same row takes the step over.
      const withLogits = await fit(backend, classJob(logits, engine, once), hooks())
      const moved = (withLogits.model.weights[0]?.kernel[0] as number) - (w0.kernel[0] as number)
      expect(Math.abs(moved)).toBeGreaterThan(0.5)
    },
  )

  it.each(CASES)('$name, fromLogits $fromLogits: valLoss is the loss at the epoch-end weights', async (c) => {
    const data = subset(dataOf(c), ORDINARY)
    const validation = subset(dataOf(c), [4, 1])
    const r = await fit(
      backend,
      classJob(c, engine, { data, validation, batchSize: 2, epochs: 2, order: batchOrder(4, true, 1) }),
      hooks(),
    )
    const want = reference(c, r.model.weights[0] as LayerWeights, validation).loss
    expectClose([r.history.valLoss?.[1] as number], [want])
  })

  it.each([true, false])(
    'fromLogits %s: trains a 3-class problem to accuracy 1',
    async (fromLogits) => {
      const rng = new Rng(3, 'toy')
      const centers = [
        [0, 0],
        [3, 0],
        [0, 3],
      ]
      const y = Float32Array.from({ length: 30 }, (_, i) => i % 3)
      const x = Float32Array.from({ length: 60 }, (_, i) => {
        const center = centers[y[i >> 1] as number] as number[]
        return (center[i & 1] as number) + rng.uniform(-0.8, 0.8)
      })
      const data: DataSplit = { n: 30, inputs: 2, outputs: 1, x, y }
      const layers: LayerSpec[] = [
        { units: 8, activation: 'tanh' },
        { units: 3, activation: fromLogits ? 'linear' : 'softmax' },
      ]
      const r = await fit(
        backend,
        job({
          engine,
          model: { inputs: 2, layers },
          loss: { name: 'cross_entropy', delta: 1, fromLogits },
          optimizer: { ...job().optimizer, lr: 0.05 },
          data,
          batchSize: 10,
          epochs: 60,
          initialWeights: null,
          order: null,
        }),
        hooks(),
      )
      expect(r.history.loss.at(-1)).toBeLessThan((r.history.loss[0] as number) / 4)
      const out = await backend.predict(r.model, x, engine)
      const rows = Array.from({ length: 30 }, (_, i) => Array.from(out.subarray(i * 3, i * 3 + 3)))
      expect(rows.map((p) => p.indexOf(Math.max(...p)))).toEqual(Array.from(y))
      // A softmax last layer predicts probabilities.
      if (!fromLogits)
        for (const p of rows) expect(Math.abs(p.reduce((a, v) => a + v) - 1)).toBeLessThan(1e-6)
      // 120 steps: seconds on wasm when the cores are shared.
    },
    60_000,
  )
})

it('states where its softmax or sigmoid sits and what the loss clips', () => {
  const of = (c: Case) => backend.settings(classJob(c, 'cpu')).probabilities
  const clip = [PROBABILITY_CLIP, 1 - PROBABILITY_CLIP]
  expect(CASES.map(of)).toEqual([
    { activation: 'softmax', at: 'loss', clip: null },
    { activation: 'softmax', at: 'model', clip },
    { activation: 'sigmoid', at: 'loss', clip: null },
    { activation: 'sigmoid', at: 'model', clip },
  ])
  expect(backend.settings(job()).probabilities).toBeUndefined()
})
