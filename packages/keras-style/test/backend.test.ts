import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type LayerSpec, listEngines, Rng, type TrainedModel } from '@dualfit/core'
import * as tf from '@tensorflow/tfjs-core'
import * as tl from '@tensorflow/tfjs-layers'
import { afterAll, describe, expect, it } from 'vitest'
import { createBackend } from '../src/index.js'
import { ENGINES } from './helpers.js'

const backend = createBackend()
afterAll(() => backend.dispose())

/** 2 inputs -> relu 4 -> tanh 3 -> sigmoid 2 -> `last` (linear 1), random weights. */
function deepModel(last: LayerSpec = { units: 1, activation: 'linear' }): TrainedModel {
  const layers: LayerSpec[] = [
    { units: 4, activation: 'relu' },
    { units: 3, activation: 'tanh' },
    { units: 2, activation: 'sigmoid' },
    last,
  ]
  const rng = new Rng(7, 'test')
  let inputs = 2
  const weights = layers.map((l) => {
    const w = {
      inputs,
      units: l.units,
      kernel: Float32Array.from({ length: inputs * l.units }, () => rng.uniform(-1, 1)),
      bias: Float32Array.from({ length: l.units }, () => rng.uniform(-1, 1)),
    }
    inputs = l.units
    return w
  })
  return { inputs: 2, layers, weights }
}

/** Forward pass by hand, float64, kernel [inputs, units] row-major. */
function forward(model: TrainedModel, x: Float32Array): number[] {
  const act = {
    linear: (v: number) => v,
    relu: (v: number) => Math.max(0, v),
    tanh: Math.tanh,
    sigmoid: (v: number) => 1 / (1 + Math.exp(-v)),
  }
  const out: number[] = []
  for (let r = 0; r < x.length / model.inputs; r++) {
    let h = Array.from(x.subarray(r * model.inputs, (r + 1) * model.inputs))
    model.weights.forEach((w, k) => {
      const z = Array.from(w.bias, (b, o) =>
        h.reduce((a, v, i) => a + v * (w.kernel[i * w.units + o] as number), b),
      )
      const f = model.layers[k]?.activation ?? 'linear'
      if (f !== 'softmax') h = z.map(act[f])
      else {
        const e = z.map((v) => Math.exp(v - Math.max(...z)))
        h = e.map((v) => v / e.reduce((a, u) => a + u))
      }
    })
    out.push(...h)
  }
  return out
}

const X = Float32Array.from([0.5, -1, 2, 0.25, -0.3, 0.8, 1.5, -2])

it('offers cpu (default) and wasm, tfjs-node only when it loads, WebGPU through Dawn when a GPU is there, saying why', async () => {
  const engines = await listEngines(backend)
  expect(engines.map((e) => e.id)).toEqual(['cpu', 'wasm', 'node', 'webgl', 'webgpu'])
  expect(engines.filter((e) => e.default).map((e) => e.id)).toEqual(['cpu'])
  expect(engines.filter((e) => e.available).map((e) => e.id)).toEqual(expect.arrayContaining(['cpu', 'wasm']))
  const node = engines.find((e) => e.id === 'node')
  expect(node?.device).toBe('cpu')
  if (!node?.available) expect(node?.detail).toMatch(/tfjs-node/)
  expect(engines.find((e) => e.id === 'webgl')).toMatchObject({
    device: 'gpu',
    available: false,
    detail: /Node/,
  })
  const webgpu = engines.find((e) => e.id === 'webgpu')
  expect(webgpu?.device).toBe('gpu')
  // Probed in a child process: on a machine without a GPU it is unavailable and says why.
  if (!webgpu?.available) expect(webgpu?.detail).toMatch(/WebGPU adapter|webgpu package/)
  expect(backend.id).toBe('keras-style')
  expect(backend.version).toMatch(/^@dualfit\/keras-style@\d+\.\d+\.\d+/)
})

it('picks cpu for small steps and wasm for large ones, by multiply-adds per step', () => {
  const dense = (units: number[]) => units.map((u) => ({ units: u, activation: 'relu' as const }))
  expect(backend.chooseEngine?.({ batchSize: 1, inputs: 1, layers: dense([1]) })).toMatchObject({
    engine: 'cpu',
  })
  expect(backend.chooseEngine?.({ batchSize: 7, inputs: 1, layers: dense([1]) })?.why).toMatch(
    /^7 multiply-adds/,
  )
  expect(backend.chooseEngine?.({ batchSize: 32, inputs: 1, layers: dense([64, 64, 1]) })).toMatchObject({
    engine: 'wasm',
    why: expect.stringMatching(/^135,168 multiply-adds per step/),
  })
  expect(backend.chooseEngine?.({ batchSize: 1_000_000, inputs: 1, layers: dense([1]) })?.engine).toBe('wasm')
})

describe.each(ENGINES)('predict on %s', (engine) => {
  it('runs model.predict with Keras kernel layout and every activation', async () => {
    const model = deepModel()
    const y = await backend.predict(model, X, engine)
    expect(y).toHaveLength(4)
    for (const [i, v] of forward(model, X).entries())
      expect(Math.abs((y[i] as number) - v)).toBeLessThan(1e-5)
  })

  it('predicts probabilities from a softmax last layer, a row per sample', async () => {
    const model = deepModel({ units: 3, activation: 'softmax' })
    const y = await backend.predict(model, X, engine)
    expect(y).toHaveLength(12)
    for (const [i, v] of forward(model, X).entries())
      expect(Math.abs((y[i] as number) - v)).toBeLessThan(1e-6)
  })

  it('rejects x that is not whole rows', async () => {
    await expect(backend.predict(deepModel(), X.subarray(0, 3), engine)).rejects.toThrow(/rows of 2/)
  })
})

/** What tf.loadLayersModel makes of saved files: the manifest and the loaded model's predictions at X. */
async function reload(files: Record<string, Uint8Array>) {
  const json = JSON.parse(new TextDecoder().decode(files['model.json'])) as tf.io.ModelJSON
  const manifest = json.weightsManifest[0]
  const bin = files['weights.bin'] as Uint8Array
  const loaded = await tl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: manifest?.weights ?? [],
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer,
    }),
  )
  const y = tf.tidy(() => (loaded.predict(tf.tensor2d(X, [4, 2])) as tf.Tensor).dataSync())
  loaded.dispose()
  return { json, manifest, y: Array.from(y) }
}

it('saves TF.js layers format (model.json + weights.bin) that tf.loadLayersModel reads back', async () => {
  const model = deepModel()
  expect(backend.saveFormats).toEqual(['tfjs'])
  const files = (await backend.save?.(model, 'tfjs')) ?? {}
  // weights.bin first: a writer that keeps the order never leaves a model.json without weights.
  expect(Object.keys(files)).toEqual(['weights.bin', 'model.json'])
  const { json, manifest, y } = await reload(files)
  expect(json.format).toBe('layers-model')
  expect(manifest?.paths).toEqual(['weights.bin'])
  expect(manifest?.weights.map((w) => w.name)).toEqual(
    [1, 2, 3, 4].flatMap((i) => [`dense_${i}/kernel`, `dense_${i}/bias`]),
  )
  expect(y).toEqual(Array.from(await backend.predict(model, X, 'cpu')))
  await expect(backend.save?.(model, 'pt')).rejects.toThrow("keras-style saves 'tfjs'")
})

it('saves a softmax model that loads back predicting the same probabilities', async () => {
  const model = deepModel({ units: 3, activation: 'softmax' })
  const { y } = await reload((await backend.save?.(model, 'tfjs')) ?? {})
  expect(y).toEqual(Array.from(await backend.predict(model, X, 'cpu')))
  for (let r = 0; r < 4; r++)
    expect(Math.abs(y.slice(r * 3, r * 3 + 3).reduce((a, v) => a + v) - 1)).toBeLessThan(1e-6)
})

it('keeps the "install tfjs-node" banner from users, and tfjs logging as it was', async () => {
  const script = `
    import * as tf from '@tensorflow/tfjs-core'
    import { createBackend } from './dist/index.js'
    const b = createBackend()
    const data = { n: 2, inputs: 1, outputs: 1, x: Float32Array.of(1, 2), y: Float32Array.of(2, 4) }
    const layers = [{ units: 1, activation: 'linear' }]
    const r = await b.train({ engine: 'cpu', model: { inputs: 1, layers }, loss: { name: 'mse', delta: 1 },
      optimizer: { name: 'adam', lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-7, momentum: 0 }, epochs: 2, batchSize: 2,
      data, initialWeights: null, order: null, seed: 0 },
      { onEpochEnd: async () => 'continue' })
    await b.predict({ inputs: 1, layers, weights: r.weights }, data.x, 'cpu')
    console.log('PROD', tf.env().getBool('PROD'))`
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', script],
    {
      cwd: join(import.meta.dirname, '..'),
    },
  )
  expect(stderr).toBe('')
  expect(stdout.trim()).toBe('PROD false')
}, 30_000)
