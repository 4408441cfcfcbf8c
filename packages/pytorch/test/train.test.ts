import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { referenceForward, referenceGradients, referenceStep } from '@dualfit/backend-testkit/reference'
import {
  batchOrder,
  type DataSplit,
  type EpochLogs,
  initialWeights,
  isUserError,
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

const PLAIN_LOOP = fileURLToPath(new URL('./plain_loop.py', import.meta.url))

const ADAM: TrainOptimizer = resolveOptimizer(
  { name: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, momentum: 0 },
  'torch',
)
const SGD_MOMENTUM: TrainOptimizer = { ...ADAM, name: 'sgd', lr: 0.05, momentum: 0.9 }
const MSE: LossSpec = { name: 'mse', delta: 1 }
const TANH: LayerSpec[] = [
  { units: 3, activation: 'tanh' },
  { units: 1, activation: 'linear' },
]
const DEEP: LayerSpec[] = [
  { units: 4, activation: 'relu' },
  { units: 3, activation: 'sigmoid' },
  { units: 2, activation: 'linear' },
]

/** 12 rows, 2 inputs, 2 outputs (the first output alone for single-output nets). */
function data(outputs: 1 | 2, rows = 12): DataSplit {
  const x: number[] = []
  const y: number[] = []
  for (let r = 0; r < rows; r++) {
    const a = ((r * 7) % 12) / 4 - 1.5
    const b = ((r * 5) % 12) / 6 - 1
    x.push(a, b)
    y.push(Math.sin(a) + 0.5 * b)
    if (outputs === 2) y.push(a * b - 0.25)
  }
  return { n: rows, inputs: 2, outputs, x: Float32Array.from(x), y: Float32Array.from(y) }
}

function job(over: Partial<TrainJob> = {}): TrainJob {
  const layers = over.model?.layers ?? TANH
  const d = over.data ?? data(layers[layers.length - 1]?.units === 2 ? 2 : 1)
  return {
    engine: 'cpu',
    model: { inputs: 2, layers },
    loss: MSE,
    optimizer: ADAM,
    epochs: 6,
    batchSize: 5,
    data: d,
    initialWeights: initialWeights('torch', 2, layers, 3, 'pytorch-test'),
    order: batchOrder(d.n, true, 3, 'pytorch-test'),
    seed: 3,
    ...over,
  }
}

const go = async () => 'continue' as const
const record = () => {
  const calls: { epoch: number; logs: EpochLogs }[] = []
  const hooks: TrainHooks = {
    async onEpochEnd(epoch, logs) {
      calls.push({ epoch, logs })
      return 'continue'
    },
  }
  return { calls, hooks }
}

/** Runs test/plain_loop.py (the usual PyTorch script) on the same job. */
function plainLoop(j: TrainJob): { loss: number[]; weights: { kernel: number[]; bias: number[] }[] } {
  const rows = (a: Float32Array, w: number) =>
    Array.from({ length: a.length / w }, (_, r) => Array.from(a.subarray(r * w, r * w + w)))
  const input = {
    inputs: j.model.inputs,
    layers: j.model.layers,
    loss: j.loss,
    optimizer: j.optimizer,
    epochs: j.epochs,
    batchSize: j.batchSize,
    x: rows(j.data.x, j.data.inputs),
    y: rows(j.data.y, j.data.outputs),
    weights:
      j.initialWeights?.map((w) => ({ kernel: rows(w.kernel, w.units), bias: Array.from(w.bias) })) ?? null,
    orders: j.order ? Array.from({ length: j.epochs }, (_, e) => Array.from(j.order?.(e) ?? [])) : null,
    seed: j.seed,
  }
  return JSON.parse(execFileSync(PYTHON, [PLAIN_LOOP], { input: JSON.stringify(input), encoding: 'utf8' }))
}

const plain = (w: LayerWeights[]) =>
  w.map((l) => ({ kernel: Array.from(l.kernel), bias: Array.from(l.bias) }))

describe.skipIf(reason)(titled('pytorch backend: training', reason), () => {
  const backend = createBackend()
  afterAll(() => backend.dispose())

  it('takes one Adam step from fixed weights as the float64 computation does', async () => {
    const layers = TANH
    const start: LayerWeights[] = [
      {
        inputs: 2,
        units: 3,
        kernel: Float32Array.of(0.5, -0.25, 0.75, -0.5, 0.375, 0.125),
        bias: Float32Array.of(0.1, -0.2, 0.05),
      },
      { inputs: 3, units: 1, kernel: Float32Array.of(0.625, -0.875, 0.25), bias: Float32Array.of(0.3) },
    ]
    const d = data(1)
    const r = record()
    const result = await backend.train(
      job({ epochs: 1, batchSize: d.n, initialWeights: start, order: batchOrder(d.n, false, 0) }),
      r.hooks,
    )
    expect(result.steps).toBe(1)
    const net = { inputs: 2, layers, weights: start }
    const { loss, grads } = referenceGradients(net, MSE, d.x, d.y)
    // Every gradient is far from 0, so each parameter moves by about lr: the check is not vacuous.
    for (const g of grads) for (const v of [...g.kernel, ...g.bias]) expect(Math.abs(v)).toBeGreaterThan(1e-3)
    const expected = referenceStep(net, MSE, ADAM, d.x, d.y).weights
    let maxAbs = 0
    result.weights.forEach((w, k) => {
      const e = expected[k] as (typeof expected)[number]
      w.kernel.forEach((v, i) => {
        maxAbs = Math.max(maxAbs, Math.abs(v - (e.kernel[i] as number)))
      })
      w.bias.forEach((v, i) => {
        maxAbs = Math.max(maxAbs, Math.abs(v - (e.bias[i] as number)))
      })
    })
    console.info(`one Adam step vs float64: max |diff| = ${maxAbs.toExponential(2)}`)
    expect(maxAbs).toBeLessThan(1e-6)
    const recorded = r.calls[0]?.logs.loss as number
    expect(Math.abs(recorded - loss) / loss).toBeLessThan(1e-6)
  })

  it.each([
    ['tanh net, Adam, MSE', job()],
    [
      'deep net (relu, sigmoid, 2 outputs), SGD momentum, Huber',
      job({
        model: { inputs: 2, layers: DEEP },
        optimizer: SGD_MOMENTUM,
        loss: { name: 'huber', delta: 0.5 },
      }),
    ],
    [
      'tanh net, Adam eps null, MAE, batches of 7 and 5',
      job({ loss: { name: 'mae', delta: 1 }, batchSize: 7, optimizer: { ...ADAM, eps: null } }),
    ],
    ['framework init and DataLoader shuffling', job({ initialWeights: null, order: null, batchSize: 4 })],
  ])('gives the loss history and weights of a plain PyTorch loop, bit for bit: %s', async (_, j) => {
    const r = record()
    const result = await backend.train(j, r.hooks)
    const ref = plainLoop(j)
    expect(r.calls.map((c) => c.epoch)).toEqual([0, 1, 2, 3, 4, 5])
    expect(r.calls.map((c) => c.logs.loss)).toEqual(ref.loss)
    expect(plain(result.weights)).toEqual(ref.weights)
    expect(result.steps).toBe(6 * Math.ceil(j.data.n / j.batchSize))
    expect(result.setupMs).toBeGreaterThan(0)
  })

  it('framework mode is seeded: same seed, same run; another seed, another run', async () => {
    const fw = (seed: number) => job({ initialWeights: null, order: null, seed, batchSize: 4 })
    const [a, b, c] = [record(), record(), record()]
    const ra = await backend.train(fw(1), a.hooks)
    const rb = await backend.train(fw(1), b.hooks)
    await backend.train(fw(2), c.hooks)
    expect(b.calls).toEqual(a.calls)
    expect(rb.weights).toEqual(ra.weights)
    expect(c.calls).not.toEqual(a.calls)
  })

  it('repeats bit for bit, in this process and in a fresh one', async () => {
    const [a, b, c] = [record(), record(), record()]
    const ra = await backend.train(job({ model: { inputs: 2, layers: DEEP } }), a.hooks)
    const rb = await backend.train(job({ model: { inputs: 2, layers: DEEP } }), b.hooks)
    const other = createBackend()
    try {
      const rc = await other.train(job({ model: { inputs: 2, layers: DEEP } }), c.hooks)
      expect(rc.weights).toEqual(ra.weights)
    } finally {
      await other.dispose()
    }
    expect(rb.weights).toEqual(ra.weights)
    expect(b.calls).toEqual(a.calls)
    expect(c.calls).toEqual(a.calls)
  })

  it("obeys stop at once, and sends an epoch's weights each time they are asked for", async () => {
    const calls: number[] = []
    const asked = new Map<number, LayerWeights[][]>()
    // Asked at some epochs only, twice at epoch 2, and at the epoch that stops.
    const times: Record<number, number> = { 1: 1, 2: 2, 4: 1 }
    const hooks: TrainHooks = {
      async onEpochEnd(epoch, _logs, weights) {
        calls.push(epoch)
        const got: LayerWeights[][] = []
        for (let i = 0; i < (times[epoch] ?? 0); i++) got.push(await weights())
        asked.set(epoch, got)
        return epoch === 4 ? 'stop' : 'continue'
      },
    }
    const orders: number[] = []
    const base = job()
    const counted = (e: number) => {
      orders.push(e)
      return base.order?.(e) as Uint32Array
    }
    const r = await backend.train({ ...base, order: counted }, hooks)
    expect(calls).toEqual([0, 1, 2, 3, 4])
    expect(orders).toEqual([0, 1, 2, 3, 4]) // no order asked for an epoch that never runs
    expect(r.steps).toBe(5 * 3)
    const after = async (epochs: number) => (await backend.train(job({ epochs }), { onEpochEnd: go })).weights
    expect(asked.get(1)).toEqual([await after(2)])
    expect(asked.get(2)).toEqual([await after(3), await after(3)])
    expect(asked.get(4)).toEqual([r.weights])
    // Sending the weights leaves training as it was.
    expect(r.weights).toEqual(await after(5))
  })

  it('reports valLoss with the end-of-epoch weights', async () => {
    const validation = data(1, 5)
    const r = record()
    const result = await backend.train(job({ validation, epochs: 3 }), r.hooks)
    const y = await backend.predict({ inputs: 2, layers: TANH, weights: result.weights }, validation.x, 'cpu')
    const mse = Array.from(y).reduce((s, v, i) => s + (v - (validation.y[i] as number)) ** 2, 0) / y.length
    expect(r.calls).toHaveLength(3)
    expect(Math.abs((r.calls[2]?.logs.valLoss as number) - mse) / mse).toBeLessThan(1e-6)
    expect(r.calls.every((c) => typeof c.logs.valLoss === 'number')).toBe(true)
  })

  it('reports a diverging loss as Infinity or NaN', async () => {
    const r = record()
    await backend.train(job({ optimizer: { ...SGD_MOMENTUM, lr: 1e30 }, epochs: 3 }), r.hooks)
    const last = r.calls[2]?.logs.loss as number
    expect(Number.isFinite(last)).toBe(false)
  })

  it('predicts [n, outputs] rows as the float64 forward pass does', async () => {
    const weights = initialWeights('keras', 2, DEEP, 7)
    const x = Float32Array.of(0.5, -1, 3, 0.25, -2.5, 1.75, 0, 0, -0.125, -3)
    const y = await backend.predict({ inputs: 2, layers: DEEP, weights }, x, 'cpu')
    const ref = referenceForward({ inputs: 2, layers: DEEP, weights }, x)
    expect(y).toHaveLength(10)
    y.forEach((v, i) => {
      expect(Math.abs(v - (ref[i] as number))).toBeLessThan(1e-6)
    })
  })

  it('rejects x that is not whole rows and unknown engines with a UserError', async () => {
    const model = { inputs: 2, layers: TANH, weights: initialWeights('keras', 2, TANH, 1) }
    const partial = await rejection(backend.predict(model, Float32Array.of(1, 2, 3), 'cpu'))
    expect(isUserError(partial)).toBe(true)
    expect(partial.message).toMatch(/rows of 2/)
    const engine = await rejection(backend.predict(model, Float32Array.of(1, 2), 'tpu'))
    expect(isUserError(engine)).toBe(true)
    expect(engine.message).toBe("engine 'tpu': expected one of cpu, cuda")
    expect(isUserError(await rejection(backend.train(job({ engine: 'tpu' }), { onEpochEnd: go })))).toBe(true)
    const shape = await rejection(backend.predict({ ...model, layers: DEEP }, Float32Array.of(1, 2), 'cpu'))
    expect(isUserError(shape)).toBe(true)
  })

  it('turns a python exception into a one-line rejection and stays usable', async () => {
    const bad = job({ loss: { name: 'hinge', delta: 1 } as unknown as LossSpec })
    const err = await rejection(backend.train(bad, { onEpochEnd: go }))
    expect(err.message).toBe("pytorch: ValueError: unknown loss 'hinge'")
    const pid = backend.pid
    expect((await backend.train(job({ epochs: 1 }), { onEpochEnd: go })).steps).toBe(3)
    expect(backend.pid).toBe(pid)
  })

  it('rejects with the hook error when onEpochEnd throws, and stays usable', async () => {
    const boom = new Error('harness failed')
    const err = await rejection(
      backend.train(job(), {
        onEpochEnd: (epoch) => {
          if (epoch === 1) throw boom
          return go()
        },
      }),
    )
    expect(err).toBe(boom)
    expect((await backend.train(job({ epochs: 1 }), { onEpochEnd: go })).steps).toBe(3)
  })

  it('saves torch.save(state_dict) bytes that PyTorch loads back', async () => {
    const weights = initialWeights('keras', 2, TANH, 5)
    const files = await backend.save({ inputs: 2, layers: TANH, weights }, 'pt')
    expect(Object.keys(files)).toEqual(['model.pt'])
    const bytes = files['model.pt'] as Uint8Array
    expect(Buffer.from(bytes.subarray(0, 2)).toString('latin1')).toBe('PK') // torch.save's zip format
    const loaded = JSON.parse(
      execFileSync(
        PYTHON,
        [
          '-c',
          'import io,json,sys,torch; sd=torch.load(io.BytesIO(sys.stdin.buffer.read())); print(json.dumps({k: v.tolist() for k, v in sd.items()}))',
        ],
        { input: bytes, encoding: 'utf8' },
      ),
    ) as Record<string, number[][] | number[]>
    expect(Object.keys(loaded)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias'])
    // PyTorch's [out, in] is the transpose of the kernel.
    expect(loaded['0.weight']).toEqual([0, 1, 2].map((u) => [0, 1].map((i) => weights[0]?.kernel[i * 3 + u])))
    expect(loaded['2.bias']).toEqual(Array.from(weights[1]?.bias ?? []))
    const fmt = await rejection(backend.save({ inputs: 2, layers: TANH, weights }, 'onnx'))
    expect(isUserError(fmt)).toBe(true)
  })
})
