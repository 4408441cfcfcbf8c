import { classificationLoss, type LossSpec } from '@dualfit/core'
import { afterAll, describe, expect, it } from 'vitest'
import {
  buildTrainingGraph,
  gradName,
  LOSS,
  linears,
  loadEngine,
  type Net,
  type OrtSession,
  outputsOf,
} from '../src/index.js'
import {
  CLIP,
  forward64,
  loss64,
  numericGrads,
  type Params,
  randomData,
  randomLabels,
  randomParams,
  relError,
} from './reference.js'

const linear = (inputs: number, units: number) => ({ op: 'linear', inputs, units }) as const

const ce = (fromLogits: boolean): LossSpec => ({ name: 'cross_entropy', delta: 1, fromLogits })
const bce = (fromLogits: boolean): LossSpec => ({ name: 'binary_cross_entropy', delta: 1, fromLogits })

/**
 * Every supported layer, activation and loss, alone and stacked. `scale` spreads the regression
 * targets, or the inputs of a classifier (so that logits are large and probabilities get clipped).
 */
const CASES: {
  name: string
  net: Net
  loss: LossSpec
  scale?: number
  clipped?: boolean
  /** The loss's relative tolerance against float64 (default 5e-6). */
  tolerance?: number
}[] = [
  { name: 'Linear, MSE', net: { inputs: 3, ops: [linear(3, 2)] }, loss: { name: 'mse', delta: 1 } },
  { name: 'Linear, L1', net: { inputs: 3, ops: [linear(3, 2)] }, loss: { name: 'mae', delta: 1 } },
  // Targets spread over +-3 so both branches of Huber(delta 0.7) are hit.
  {
    name: 'Linear, Huber',
    net: { inputs: 3, ops: [linear(3, 2)] },
    loss: { name: 'huber', delta: 0.7 },
    scale: 3,
  },
  {
    name: 'Linear-ReLU-Linear, MSE',
    net: { inputs: 3, ops: [linear(3, 4), { op: 'relu' }, linear(4, 2)] },
    loss: { name: 'mse', delta: 1 },
  },
  {
    name: 'Linear-Tanh-Linear, L1',
    net: { inputs: 3, ops: [linear(3, 4), { op: 'tanh' }, linear(4, 2)] },
    loss: { name: 'mae', delta: 1 },
  },
  {
    name: 'Linear-Sigmoid-Linear, Huber',
    net: { inputs: 3, ops: [linear(3, 4), { op: 'sigmoid' }, linear(4, 2)] },
    loss: { name: 'huber', delta: 1 },
    scale: 3,
  },
  {
    name: 'deep: Linear-Tanh-Linear-ReLU-Linear-Sigmoid, MSE',
    net: {
      inputs: 2,
      ops: [linear(2, 5), { op: 'tanh' }, linear(5, 4), { op: 'relu' }, linear(4, 1), { op: 'sigmoid' }],
    },
    loss: { name: 'mse', delta: 1 },
  },
  {
    name: 'Linear-Tanh-Linear, CrossEntropyLoss (logits)',
    net: { inputs: 3, ops: [linear(3, 4), { op: 'tanh' }, linear(4, 3)] },
    loss: ce(true),
  },
  {
    name: 'Linear, CrossEntropyLoss on large logits',
    net: { inputs: 3, ops: [linear(3, 4)] },
    loss: ce(true),
    scale: 30,
  },
  {
    name: 'Linear-ReLU-Linear-Softmax, categorical cross-entropy on probabilities',
    net: { inputs: 3, ops: [linear(3, 4), { op: 'relu' }, linear(4, 3), { op: 'softmax' }] },
    loss: ce(false),
  },
  {
    name: 'Linear-Softmax, categorical cross-entropy, some probabilities clipped',
    net: { inputs: 3, ops: [linear(3, 4), { op: 'softmax' }] },
    loss: ce(false),
    scale: 30,
    clipped: true,
  },
  {
    name: 'Linear-Tanh-Linear, BCEWithLogitsLoss',
    net: { inputs: 3, ops: [linear(3, 4), { op: 'tanh' }, linear(4, 1)] },
    loss: bce(true),
  },
  {
    name: 'Linear, BCEWithLogitsLoss on large logits',
    net: { inputs: 3, ops: [linear(3, 1)] },
    loss: bce(true),
    scale: 30,
  },
  {
    name: 'Linear-Sigmoid, binary cross-entropy on probabilities',
    net: { inputs: 3, ops: [linear(3, 4), { op: 'sigmoid' }, linear(4, 1), { op: 'sigmoid' }] },
    loss: bce(false),
  },
  {
    name: 'Linear-Sigmoid, binary cross-entropy, some probabilities clipped',
    net: { inputs: 3, ops: [linear(3, 1), { op: 'sigmoid' }] },
    loss: bce(false),
    scale: 30,
    clipped: true,
    // A row at z = 13.8 has p = 1 - 1e-6, where float32 keeps 1 - p to a few percent (as Keras does).
    tolerance: 1e-4,
  },
]

/** Targets: class indices under a classification loss (2 classes for one output), else values. */
function targets(net: Net, loss: LossSpec, scale = 1): number[] {
  const outputs = outputsOf(net)
  return classificationLoss(loss.name)
    ? randomLabels(BATCH, Math.max(outputs, 2), 3)
    : randomData(BATCH, outputs, 3, scale)
}

/** Rows whose probability of the target is outside the clip interval (float64). */
function clippedRows(net: Net, params: Params, x: number[], y: number[]): number {
  const outputs = outputsOf(net)
  const p = forward64(net, params, x)
  return y.filter((t, r) => {
    const q =
      outputs === 1 ? (t === 1 ? (p[r] as number) : 1 - (p[r] as number)) : (p[r * outputs + t] as number)
    return q < CLIP[0] || q > CLIP[1]
  }).length
}

const BATCH = 6

async function ortGrads(
  session: OrtSession,
  engine: 'cpu' | 'wasm',
  net: Net,
  params: Params,
  x: number[],
  y: number[],
) {
  const ort = await loadEngine(engine)
  const feeds = {
    x: ort.tensor(Float32Array.from(x), [BATCH, net.inputs]),
    y: ort.tensor(Float32Array.from(y), [BATCH, y.length / BATCH]),
  } as Record<string, ReturnType<typeof ort.tensor>>
  linears(net).forEach((l, k) => {
    const p = params[k] as Params[number]
    feeds[l.weight] = ort.tensor(Float32Array.from(p.weight), [l.units, l.inputs])
    feeds[l.bias] = ort.tensor(Float32Array.from(p.bias), [l.units])
  })
  const out = await session.run(feeds)
  const data = (name: string) => out[name]?.data as Float32Array
  return {
    loss: (data(LOSS) as Float32Array)[0] as number,
    grads: linears(net).map((l) => ({ weight: data(gradName(l.weight)), bias: data(gradName(l.bias)) })),
  }
}

const sessions: OrtSession[] = []
afterAll(async () => {
  for (const s of sessions) await s.release()
})

describe.each(['cpu', 'wasm'] as const)(
  'reverse-mode gradients on %s match float64 central differences',
  (engine) => {
    it.each(CASES)('$name', async ({ net, loss, scale, clipped, tolerance = 5e-6 }) => {
      const session = await (await loadEngine(engine)).session(buildTrainingGraph(net, loss))
      sessions.push(session)
      const params = randomParams(net, 1)
      const classify = classificationLoss(loss.name) !== null
      const x = randomData(BATCH, net.inputs, 2, classify ? scale : 1)
      const y = targets(net, loss, scale)
      const got = await ortGrads(session, engine, net, params, x, y)
      const want = loss64(loss, forward64(net, params, x), y)
      // Relative for the classifiers: large logits give losses of 10 and more.
      expect(Math.abs(got.loss - want)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(want)))
      if (clipped !== undefined)
        expect(clippedRows(net, params, x, y) > 0, 'rows outside the clip interval').toBe(clipped)
      numericGrads(net, loss, params, x, y).forEach((want, k) => {
        const g = got.grads[k] as { weight: Float32Array; bias: Float32Array }
        expect(relError(g.weight, want.weight), `layer ${k} weight`).toBeLessThanOrEqual(1e-3)
        expect(relError(g.bias, want.bias), `layer ${k} bias`).toBeLessThanOrEqual(1e-3)
      })
    })
  },
)
