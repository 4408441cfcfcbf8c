import { isUserError, type LossSpec } from '@dualfit/core'
import type { Net } from '@dualfit/onnx'
import { afterAll, describe, expect, it } from 'vitest'
// The float64 reference (forward, losses, central differences) the ONNX graph tests use.
import {
  forward64,
  loss64,
  numericGrads,
  type Params,
  randomData,
  relError,
} from '../../onnx/test/reference.js'
import { defaultRuntime, manualSeed, nn, tensor } from '../src/index.js'

afterAll(() => defaultRuntime.release())

/** The same network as a graph-builder chain, and its parameters in graph ([out, in]) layout. */
function asNet(model: nn.Sequential, inputs: number): { net: Net; params: Params } {
  const ops: Net['ops'] = model.modules.map((m) =>
    m instanceof nn.Linear
      ? { op: 'linear', inputs: m.inFeatures, units: m.outFeatures }
      : { op: m instanceof nn.ReLU ? 'relu' : m instanceof nn.Tanh ? 'tanh' : 'sigmoid' },
  )
  const params = model.modules
    .filter((m) => m instanceof nn.Linear)
    .map((l) => ({ weight: Array.from(l.weight.data), bias: Array.from(l.bias.data) }))
  return { net: { inputs, ops }, params }
}

const CRITERIA: [string, () => nn.Criterion, LossSpec][] = [
  ['MSELoss', () => nn.MSELoss(), { name: 'mse', delta: 1 }],
  ['L1Loss', () => nn.L1Loss(), { name: 'mae', delta: 1 }],
  ['HuberLoss(delta 0.5)', () => nn.HuberLoss({ delta: 0.5 }), { name: 'huber', delta: 0.5 }],
]

describe.each(['cpu', 'wasm'])('nn on %s', (engine) => {
  it.each(CRITERIA)(
    'Linear/ReLU/Tanh/Sigmoid with %s: loss and p.grad match float64 central differences',
    async (_, make, spec) => {
      manualSeed(3)
      const model = new nn.Sequential(
        new nn.Linear(3, 4),
        new nn.Tanh(),
        new nn.Linear(4, 4),
        new nn.ReLU(),
        new nn.Linear(4, 2),
        new nn.Sigmoid(),
      ).to(engine)
      const x = randomData(5, 3, 7, 2)
      const y = randomData(5, 2, 8, 1.5)
      const loss = make()(model.forward(tensor(x, [5, 3])), tensor(y, [5, 2]))
      await loss.backward()
      const { net, params } = asNet(model, 3)
      expect(loss.item()).toBeCloseTo(loss64(spec, forward64(net, params, x), y), 6)
      const want = numericGrads(net, spec, params, x, y)
      model.modules
        .filter((m) => m instanceof nn.Linear)
        .forEach((l, k) => {
          expect(relError(l.weight.grad?.data ?? [], want[k]?.weight ?? [])).toBeLessThanOrEqual(1e-3)
          expect(relError(l.bias.grad?.data ?? [], want[k]?.bias ?? [])).toBeLessThanOrEqual(1e-3)
        })
    },
  )

  it('computes forward values lazily and accumulates gradients until zeroGrad', async () => {
    manualSeed(1)
    const model = new nn.Sequential(new nn.Linear(2, 1)).to(engine)
    const x = tensor([1, 2, 3, 4, 5, 6], [3, 2])
    const out = model.forward(x)
    expect(out.pending).toBe(true)
    expect(() => out.data).toThrow(/not computed yet/)
    const { net, params } = asNet(model, 2)
    expect(relError(await out.compute(), forward64(net, params, Array.from(x.data)))).toBeLessThan(1e-6)

    const y = tensor([1, 0, 1], [3, 1])
    const criterion = nn.MSELoss()
    await criterion(model.forward(x), y).backward()
    const once = model.parameters().map((p) => Array.from(p.grad?.data ?? []))
    await criterion(model.forward(x), y).backward()
    model.parameters().forEach((p, i) => {
      expect(Array.from(p.grad?.data ?? [])).toEqual(once[i]?.map((g) => Math.fround(2 * g)))
    })
  })
})

describe('nn API', () => {
  it('initializes nn.Linear like PyTorch, U(-1/sqrt(in), 1/sqrt(in)), reproducibly from manualSeed', () => {
    manualSeed(42)
    const a = new nn.Linear(16, 8)
    manualSeed(42)
    const b = new nn.Linear(16, 8)
    expect(a.weight.shape).toEqual([8, 16])
    expect(Array.from(a.weight.data)).toEqual(Array.from(b.weight.data))
    expect(Math.max(...a.weight.data.map(Math.abs), ...a.bias.data.map(Math.abs))).toBeLessThanOrEqual(0.25)
    expect(Array.from(new nn.Linear(16, 8).weight.data)).not.toEqual(Array.from(a.weight.data))
  })

  it('lists parameters in order and switches train/eval modes recursively', () => {
    const l1 = new nn.Linear(2, 3)
    const l2 = new nn.Linear(3, 1)
    const model = new nn.Sequential(l1, new nn.ReLU(), l2)
    expect(model.parameters()).toEqual([l1.weight, l1.bias, l2.weight, l2.bias])
    model.eval()
    expect([model.training, l1.training, l2.training]).toEqual([false, false, false])
    model.train()
    expect(l2.training).toBe(true)
  })

  it('rejects bad shapes, engines and misuse with one-line UserErrors', async () => {
    const model = new nn.Sequential(new nn.Linear(2, 1))
    const fails = (f: () => unknown, msg: RegExp) => {
      let err: unknown
      try {
        f()
      } catch (e) {
        err = e
      }
      expect(isUserError(err), String(err)).toBe(true)
      expect((err as Error).message).toMatch(msg)
    }
    fails(
      () => model.forward(tensor([1, 2, 3], [3, 1])),
      /^Linear\(2, 1\): expected input \[batch, 2\], got \[3,1\]$/,
    )
    fails(
      () => nn.MSELoss()(tensor([1, 2], [2, 1]), tensor([1, 2], [1, 2])),
      /^MSELoss: input \[2,1\] and target \[1,2\] differ/,
    )
    fails(() => tensor([1, 2, 3], [2, 2]), /^tensor: shape \[2,2\] needs 4 value\(s\), got 3$/)
    fails(() => model.to('tpu'), /^engine 'tpu': expected one of cpu, wasm, webgpu, cuda$/)
    await expect(model.forward(tensor([1, 2], [1, 2])).backward()).rejects.toThrow(
      /^backward\(\): expected a loss/,
    )
  })
})
