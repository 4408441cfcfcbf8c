import type { LossSpec } from '@dualfit/core'
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
  forward64,
  loss64,
  numericGrads,
  type Params,
  randomData,
  randomParams,
  relError,
} from './reference.js'

const linear = (inputs: number, units: number) => ({ op: 'linear', inputs, units }) as const

/** Every supported layer, activation and loss, alone and stacked. */
const CASES: { name: string; net: Net; loss: LossSpec; scale?: number }[] = [
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
]

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
    y: ort.tensor(Float32Array.from(y), [BATCH, outputsOf(net)]),
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
    it.each(CASES)('$name', async ({ net, loss, scale }) => {
      const session = await (await loadEngine(engine)).session(buildTrainingGraph(net, loss))
      sessions.push(session)
      const params = randomParams(net, 1)
      const x = randomData(BATCH, net.inputs, 2)
      const y = randomData(BATCH, outputsOf(net), 3, scale)
      const got = await ortGrads(session, engine, net, params, x, y)
      expect(got.loss).toBeCloseTo(loss64(loss, forward64(net, params, x), y), 5)
      numericGrads(net, loss, params, x, y).forEach((want, k) => {
        const g = got.grads[k] as { weight: Float32Array; bias: Float32Array }
        expect(relError(g.weight, want.weight), `layer ${k} weight`).toBeLessThanOrEqual(1e-3)
        expect(relError(g.bias, want.bias), `layer ${k} bias`).toBeLessThanOrEqual(1e-3)
      })
    })
  },
)
