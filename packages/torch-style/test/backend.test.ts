import { trainRecorded } from '@dualfit/backend-testkit'
import {
  type Backend,
  batchOrder,
  builtinDataset,
  initialWeights,
  isUserError,
  type LayerSpec,
  type LayerWeights,
  listEngines,
  mse,
  resolveOptimizer,
  subset,
  type TrainHooks,
  type TrainJob,
} from '@dualfit/core'
import { predictOnnx } from '@dualfit/onnx'
import { afterAll, describe, expect, it } from 'vitest'
import { relError } from '../../onnx/test/reference.js'
import { createBackend } from '../src/index.js'

const backend: Backend = createBackend()
afterAll(() => backend.dispose())

const seed = builtinDataset('meters-feet')
const LINEAR: LayerSpec[] = [{ units: 1, activation: 'linear' }]

function job(over: Partial<TrainJob> = {}): TrainJob {
  const layers = over.model?.layers ?? LINEAR
  return {
    engine: 'cpu',
    model: { inputs: 1, layers },
    loss: { name: 'mse', delta: 1 },
    optimizer: resolveOptimizer(
      { name: 'adam', lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, momentum: 0 },
      'torch',
    ),
    epochs: 20,
    batchSize: 7,
    data: seed,
    initialWeights: initialWeights('torch', 1, layers, 0),
    order: batchOrder(7, false, 0),
    seed: 0,
    ...over,
  }
}

/** Trains and keeps what the harness would record: each epoch's logs and the epochs run. */
const fit = (j: TrainJob, h?: TrainHooks) => trainRecorded(backend, j, h)

async function userError(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(isUserError(err), String(err)).toBe(true)
  return (err as Error).message
}

describe('torch-style backend', () => {
  it('reports its engines: cpu and wasm available, GPU engines with a reason, one default', async () => {
    expect(backend.id).toBe('torch-style')
    expect(backend.version).toMatch(/^@dualfit\/torch-style@\d+\.\d+\.\d+/)
    const engines = await listEngines(backend)
    expect(engines.map((e) => [e.id, e.device])).toEqual([
      ['cpu', 'cpu'],
      ['wasm', 'wasm'],
      ['webgpu', 'gpu'],
      ['cuda', 'gpu'],
    ])
    expect(engines.filter((e) => e.available).map((e) => e.id)).toEqual(
      expect.arrayContaining(['cpu', 'wasm']),
    )
    for (const e of engines) expect(e.detail).toMatch(/\S/)
    expect(engines.filter((e) => e.default).map((e) => e.id)).toEqual(['cpu'])
  })

  it('trains the seed loop on cpu and wasm alike, and repeats bit for bit', async () => {
    const first = job()
    const start = structuredClone(first.initialWeights)
    const cpu = await fit(first)
    expect(first.initialWeights).toEqual(start) // the harness reuses them across trials
    const again = await fit(job())
    const wasm = await fit(job({ engine: 'wasm' }))
    expect(again.history).toEqual(cpu.history)
    expect(again.model).toEqual(cpu.model)
    expect(cpu.epochsRun).toBe(20)
    expect(cpu.steps).toBe(20)
    expect(cpu.history.loss[19]).toBeLessThan((cpu.history.loss[0] as number) / 2)
    cpu.history.loss.forEach((l, i) => {
      expect(Math.abs(l - (wasm.history.loss[i] as number)) / l).toBeLessThan(1e-4)
    })
    expect(cpu.setupMs).toBeGreaterThan(0)
  })

  it('weights each batch loss by its size, batches of 3, 3 and 1 (no update with lr 0)', async () => {
    const sgd0 = resolveOptimizer(
      { name: 'sgd', lr: 0, beta1: 0.9, beta2: 0.999, eps: null, momentum: 0 },
      'torch',
    )
    const r = await fit(job({ epochs: 2, batchSize: 3, optimizer: sgd0 }))
    expect(r.steps).toBe(6)
    const w = job().initialWeights?.[0]
    const pred = Array.from(seed.x, (x) => x * (w?.kernel[0] as number) + (w?.bias[0] as number))
    expect(r.history.loss[0]).toBeCloseTo(mse(pred, seed.y), 3)
    expect(r.history.loss[1]).toBe(r.history.loss[0])
  })

  it('visits the harness order and reports valLoss with end-of-epoch weights', async () => {
    const order = batchOrder(5, true, 9)
    const r = await fit(
      job({
        data: subset(seed, [0, 1, 2, 3, 4]),
        validation: subset(seed, [5, 6]),
        order,
        batchSize: 2,
        epochs: 5,
      }),
    )
    expect(r.steps).toBe(15)
    const y = await backend.predict(r.model, subset(seed, [5, 6]).x, 'cpu')
    expect(r.history.valLoss?.[4]).toBeCloseTo(mse(y, subset(seed, [5, 6]).y), 3)
  })

  it("stops at once when told, and the weights getter gives each epoch's own weights", async () => {
    const got: LayerWeights[][] = []
    const r = await fit(job(), {
      onEpochEnd: async (epoch, _logs, weights) => {
        got.push(await weights())
        return epoch === 4 ? 'stop' : 'continue'
      },
    })
    expect(r.epochsRun).toBe(5)
    expect(r.steps).toBe(5)
    for (const [epoch, w] of got.entries())
      expect(w).toEqual((await fit(job({ epochs: epoch + 1 }))).model.weights)
    expect(got[4]).toEqual(r.weights)
    expect(got[3]).not.toEqual(got[4])
  })

  it('framework mode: PyTorch init and a reshuffled order, both seeded', async () => {
    const fw = (s: number) => job({ initialWeights: null, order: null, seed: s, batchSize: 2, epochs: 3 })
    const a = await fit(fw(1))
    const b = await fit(fw(1))
    const c = await fit(fw(2))
    expect(b.history).toEqual(a.history)
    expect(c.history).not.toEqual(a.history)
  })

  it('keeps core layout ([inputs, units] kernels) for multi-layer models, in and out', async () => {
    const layers: LayerSpec[] = [
      { units: 3, activation: 'tanh' },
      { units: 2, activation: 'sigmoid' },
    ]
    const data = {
      n: 4,
      inputs: 2,
      outputs: 2,
      x: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8),
      y: Float32Array.of(0, 1, 1, 0, 0, 1, 1, 0),
    }
    const start = initialWeights('keras', 2, layers, 5)
    const sgd0 = resolveOptimizer(
      { name: 'sgd', lr: 0, beta1: 0.9, beta2: 0.999, eps: null, momentum: 0 },
      'torch',
    )
    const r = await fit(
      job({
        model: { inputs: 2, layers },
        data,
        initialWeights: start,
        optimizer: sgd0,
        epochs: 1,
        order: batchOrder(4, false, 0),
      }),
    )
    expect(r.model.weights).toEqual(start)
    // predict() and the exported model agree exactly on one engine; the two ORT packages' tanh
    // and sigmoid may differ in the last bit.
    const y = await backend.predict(r.model, data.x, 'cpu')
    expect(await predictOnnx(r.model, data.x, 'cpu')).toEqual(y)
    const wasm = await backend.predict(r.model, data.x, 'wasm')
    expect(await predictOnnx(r.model, data.x, 'wasm')).toEqual(wasm)
    expect(relError(wasm, y)).toBeLessThanOrEqual(1e-6)
  })

  it('rejects bad jobs and inputs with one-line UserErrors', async () => {
    expect(await userError(fit(job({ engine: 'tpu' })))).toBe(
      "engine 'tpu': expected one of cpu, wasm, webgpu, cuda",
    )
    const model = (await fit(job({ epochs: 1 }))).model
    expect(await userError(backend.predict(model, Float32Array.of(), 'cpu'))).toMatch(
      /^x: expected rows of 1 value/,
    )
    const wrong = {
      ...model,
      weights: [{ ...(model.weights[0] as (typeof model.weights)[number]), units: 2 }],
    }
    expect(await userError(backend.predict(wrong, Float32Array.of(1), 'cpu'))).toMatch(
      /^model: layer 0 expects/,
    )
  })

  it('releases its sessions on dispose and rebuilds them on demand', async () => {
    const before = await fit(job({ epochs: 2 }))
    await backend.dispose()
    const after = await fit(job({ epochs: 2 }))
    expect(after.history).toEqual(before.history)
  })

  it("disposing one instance leaves another's sessions alone", async () => {
    const other = createBackend()
    let disposed = false
    // The other instance is disposed while this one is mid-training: its sessions must survive.
    const r = await fit(job({ epochs: 30 }), {
      onEpochEnd: async (epoch) => {
        if (epoch === 5 && !disposed) {
          disposed = true
          void other.dispose()
        }
        return 'continue'
      },
    })
    expect(r.epochsRun).toBe(30)
    await other.dispose()
  })
})
