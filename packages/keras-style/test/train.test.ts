import {
  batchOrder,
  EarlyStopping,
  type EarlyStoppingRule,
  epochHooks,
  mse,
  Stopping,
  subset,
} from '@dualfit/core'
import { afterAll, describe, expect, it } from 'vitest'
import { createBackend } from '../src/index.js'
import { dense1, ENGINES, fit, hooks, job, SEED } from './helpers.js'

const backend = createBackend()
afterAll(() => backend.dispose())

const SEED_RULE: EarlyStoppingRule = { patience: 7, minDelta: 1e-4, baseline: null, startFromEpoch: 0 }

describe.each(ENGINES)('train on %s', (engine) => {
  it("stops at once where core's early-stopping rule says, and core's snapshot is the best epoch's weights", async () => {
    // Core's own callback: it reads the best epoch's weights through the getter.
    const stopping = new Stopping(SEED_RULE, false, true)
    const j = job({ engine, epochs: 500, batchSize: 1 })
    const r = await fit(backend, j, epochHooks([stopping]).hooks)
    const replay = new EarlyStopping(SEED_RULE)
    const stop = r.history.loss.findIndex((l, e) => replay.update(e, l).stop)
    expect(stop).toBeGreaterThan(0)
    expect(r.epochsRun).toBe(stop + 1)
    expect(stopping.rule.stoppedEpoch).toBe(stop)
    expect(r.steps).toBe(r.epochsRun * SEED.n)
    const { bestEpoch } = stopping.rule
    expect(bestEpoch).toBeLessThan(stop)
    const upToBest = await fit(backend, { ...j, epochs: bestEpoch + 1 }, hooks())
    expect(stopping.best).toEqual(upToBest.weights)
    expect(upToBest.weights).not.toEqual(r.weights)
  }, 60_000)

  it('reports valLoss with the weights at the end of each epoch', async () => {
    const [train, validation] = [subset(SEED, [0, 1, 2, 3, 4]), subset(SEED, [5, 6])]
    const j = job({ engine, epochs: 5, batchSize: 1, data: train, validation, order: batchOrder(5, true, 1) })
    const r = await fit(backend, j, hooks())
    expect(r.history.valLoss).toHaveLength(5)
    const pred = await backend.predict(r.model, validation.x, engine)
    expect(Math.abs((r.history.valLoss?.[4] as number) / mse(pred, validation.y) - 1)).toBeLessThan(1e-5)
    const noVal = await fit(backend, { ...j, validation: undefined }, hooks())
    expect(noVal.history.valLoss).toBeUndefined()
  })

  it('computes MAE and Huber like Keras', async () => {
    const [w0, b0] = [3.2, 0.1]
    const errors = Array.from(SEED.x, (x, i) => w0 * x + b0 - (SEED.y[i] as number))
    const mean = (f: (d: number) => number) => errors.reduce((a, d) => a + f(d), 0) / errors.length
    const delta = 1
    const expected = {
      mae: mean(Math.abs),
      huber: mean((d) => (Math.abs(d) <= delta ? 0.5 * d * d : delta * Math.abs(d) - 0.5 * delta * delta)),
    }
    for (const name of ['mae', 'huber'] as const) {
      const r = await fit(
        backend,
        job({ engine, loss: { name, delta }, initialWeights: dense1(w0, b0) }),
        hooks(),
      )
      expect(Math.abs((r.history.loss[0] as number) / expected[name] - 1)).toBeLessThan(1e-5)
    }
  })

  it('runs SGD with momentum as accum = m * accum + g; w -= lr * accum', async () => {
    const [w0, b0, lr, m] = [0.5, 0.25, 1e-3, 0.9]
    const j = job({
      engine,
      epochs: 2,
      initialWeights: dense1(w0, b0),
      optimizer: { ...job().optimizer, name: 'sgd', lr, momentum: m },
    })
    const r = await fit(backend, j, hooks())
    const grad = (w: number, b: number) => {
      const d = Array.from(SEED.x, (x, i) => w * x + b - (SEED.y[i] as number))
      const n = SEED.n
      return [
        d.reduce((a, di, i) => a + (2 * di * (SEED.x[i] as number)) / n, 0),
        d.reduce((a, di) => a + (2 * di) / n, 0),
      ]
    }
    const [gw1, gb1] = grad(w0, b0) as [number, number]
    const [w1, b1] = [w0 - lr * gw1, b0 - lr * gb1]
    const [gw2, gb2] = grad(w1, b1) as [number, number]
    expect(Math.abs((r.model.weights[0]?.kernel[0] as number) - (w1 - lr * (m * gw1 + gw2)))).toBeLessThan(
      1e-5,
    )
    expect(Math.abs((r.model.weights[0]?.bias[0] as number) - (b1 - lr * (m * gb1 + gb2)))).toBeLessThan(1e-5)
  })

  it("uses tfjs' own defaults under framework conventions: seeded glorotNormal kernel, zero bias", async () => {
    const tiny = { ...job().optimizer, name: 'sgd' as const, lr: 1e-20, eps: null }
    const start = (seed: number) =>
      fit(backend, job({ engine, initialWeights: null, order: null, seed, optimizer: tiny }), hooks())
    const [a, b, a2] = [await start(1), await start(2), await start(1)]
    expect(Math.abs(a.model.weights[0]?.bias[0] as number)).toBeLessThan(1e-15)
    expect(a.model.weights[0]?.kernel[0]).not.toBe(0)
    // Truncated at two standard deviations (sqrt(2 / (1 + 1)) / 0.8796 for Dense(1) on one input).
    expect(Math.abs(a.model.weights[0]?.kernel[0] as number)).toBeLessThan(2.28)
    expect(a2.model.weights).toEqual(a.model.weights)
    expect(b.model.weights).not.toEqual(a.model.weights)
  })
})

it('rejects unknown and unavailable engines with the reason', async () => {
  await expect(fit(backend, job({ engine: 'tpu' }), hooks())).rejects.toThrow(/keras-style offers cpu, wasm/)
  await expect(fit(backend, job({ engine: 'webgl' }), hooks())).rejects.toThrow(/not available: .*browser/)
})

it('rejects the job of a failing hook and stays usable', async () => {
  const failing = hooks(() => {
    throw new Error('hook failed')
  })
  await expect(fit(backend, job({ validation: SEED }), failing)).rejects.toThrow('hook failed')
  expect((await fit(backend, job(), hooks())).epochsRun).toBe(1)
})
