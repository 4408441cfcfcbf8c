/**
 * The engines' own training loops on a scaling workload, with no dualfit in them: what dualfit's
 * time per epoch is judged against. keras-style's engine is TF.js, so its bare loop is
 * `model.fit` on tensors; torch-style's is ONNX Runtime, so its bare loop is `session.run` of the
 * very training graph torch-style builds, fed batch after batch, with the Adam update written out.
 * Same data (the raw float32 file), model, loss, initial weights, optimizer, batch size, row order
 * and epochs as the dualfit run of the same workload.
 */
import { readFileSync } from 'node:fs'
import {
  batches,
  batchOrder,
  initialWeights,
  type LayerSpec,
  type LayerWeights,
  resolveOptimizer,
  transpose,
} from '@dualfit/core'
// Module code only: ONNX Runtime itself loads on loadEngine, so the keras-style loop never holds it.
import {
  buildTrainingGraph,
  gradName,
  LOSS,
  linears,
  loadEngine,
  netOf,
  type OrtEngineId,
  type OrtTensor,
} from '@dualfit/onnx'
import type { Job, ScalingResult } from './jobs.js'
import { workloadLayers, workloadLoss } from './workloads.js'

/** Seed and stream of core's refit trial (seed 0, all rows): the same weights and order as dualfit's run. */
const SEED = 0
const STREAM = 'all'

interface Data {
  /** [n, inputs] row-major. */
  x: Float32Array
  /** n targets, or class indices. */
  y: Float32Array
  n: number
  inputs: number
}

/** The raw float32 file the runner writes for PyTorch: x (n rows of `inputs`), then y (n values). */
function readData(path: string, inputs: number): Data {
  const bytes = readFileSync(path)
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
  const n = all.length / (inputs + 1)
  return { x: all.subarray(0, n * inputs), y: all.subarray(n * inputs), n, inputs }
}

type BareJob = Extract<Job, { kind: 'bare' }>

export async function bareScaling(job: BareJob): Promise<ScalingResult> {
  const t = performance.now()
  const data = readData(job.f32, job.workload.inputs)
  const loadMs = performance.now() - t
  const layers = workloadLayers(job.workload)
  const weights = initialWeights('torch', data.inputs, layers, SEED, STREAM)
  const batch = job.workload.batch === 'full' ? data.n : job.workload.batch
  const run = job.backend === 'keras-style' ? kerasFit : ortLoop
  return { ...(await run(job, data, layers, weights, batch)), loadMs }
}

type Loop = (
  job: BareJob,
  data: Data,
  layers: LayerSpec[],
  weights: LayerWeights[],
  batch: number,
) => Promise<Omit<ScalingResult, 'loadMs'>>

/**
 * TF.js alone: a compiled tf.sequential and model.fit on the data tensors (fit shuffles when batches
 * are smaller than the data). Classification: tf.losses.softmaxCrossEntropy on the logits against
 * one-hot rows made once, as keras-style does.
 */
const kerasFit: Loop = async (job, data, layers, weights, batch) => {
  const setupStart = performance.now()
  const tf = await import('@tensorflow/tfjs-core')
  const tl = await import('@tensorflow/tfjs-layers')
  // keras-style's engine set-up (wasm paths, the cpu banner) makes the engine current: one 1-row step.
  const { createBackend } = await import('@dualfit/keras-style')
  const backend = createBackend()
  await backend.train(
    {
      engine: job.engine,
      model: { inputs: 1, layers: [{ units: 1, activation: 'linear' }] },
      loss: { name: 'mse', delta: 1 },
      optimizer: resolveOptimizer(
        { name: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, eps: null, momentum: 0 },
        'framework',
      ),
      epochs: 1,
      batchSize: 1,
      data: { n: 1, inputs: 1, outputs: 1, x: Float32Array.of(1), y: Float32Array.of(1) },
      initialWeights: null,
      order: null,
      seed: SEED,
    },
    { onEpochEnd: async () => 'continue' },
  )
  if (!tf.engine().backendName) throw new Error("benchmarks' @tensorflow/tfjs-core is not keras-style's")
  const model = tl.sequential()
  for (const [i, l] of layers.entries()) {
    const first = i === 0 ? { inputShape: [data.inputs] } : {}
    model.add(tl.layers.dense({ units: l.units, activation: l.activation, ...first }))
  }
  const values = weights.flatMap((w) => [tf.tensor2d(w.kernel, [w.inputs, w.units]), tf.tensor1d(w.bias)])
  model.setWeights(values)
  tf.dispose(values)
  const optimizer = tf.train.adam(0.01, 0.9, 0.999)
  const { classes } = job.workload
  model.compile({
    loss:
      classes === null
        ? 'meanSquaredError'
        : (yTrue, yPred) => tf.losses.softmaxCrossEntropy(yTrue, yPred, undefined, 0, tf.Reduction.MEAN),
    optimizer,
  })
  const x = tf.tensor2d(data.x, [data.n, data.inputs])
  const y =
    classes === null
      ? tf.tensor2d(data.y, [data.n, 1])
      : tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(Int32Array.from(data.y), 'int32'), classes), 'float32'))
  const setupMs = performance.now() - setupStart
  try {
    const t = performance.now()
    const h = await model.fit(x, y, {
      epochs: job.epochs,
      batchSize: batch,
      shuffle: batch < data.n,
      verbose: 0,
    })
    const trainMs = performance.now() - t
    const losses = h.history.loss as number[]
    return {
      trainMs,
      epochsRun: losses.length,
      steps: losses.length * Math.ceil(data.n / batch),
      setupMs,
      finalLoss: losses.at(-1) ?? Number.NaN,
    }
  } finally {
    tf.dispose([x, y])
    model.dispose()
    optimizer.dispose()
    await backend.dispose()
  }
}

/** One parameter fed to the graph, with its Adam moments (PyTorch's update, float32 state). */
interface Param {
  name: string
  shape: number[]
  data: Float32Array
  m: Float32Array
  v: Float32Array
}

/** torch.optim.Adam(lr 0.01), the arithmetic of torch-style's optim.Adam with nothing around it. */
function adam(params: Param[], grads: Record<string, { data: unknown }>, t: number): void {
  const [lr, b1, b2, eps] = [0.01, 0.9, 0.999, 1e-8]
  const stepSize = lr / (1 - b1 ** t)
  const bc2Sqrt = Math.sqrt(1 - b2 ** t)
  for (const p of params) {
    const g = grads[gradName(p.name)]?.data as Float32Array
    const { data: w, m, v } = p
    for (let i = 0; i < w.length; i++) {
      const gi = g[i] as number
      m[i] = (m[i] as number) + (1 - b1) * (gi - (m[i] as number))
      v[i] = b2 * (v[i] as number) + (1 - b2) * gi * gi
      w[i] = (w[i] as number) - (stepSize * (m[i] as number)) / (Math.sqrt(v[i] as number) / bc2Sqrt + eps)
    }
  }
}

/** ONNX Runtime alone: torch-style's training graph in one session, run once per batch. */
const ortLoop: Loop = async (job, data, layers, weights, batch) => {
  const setupStart = performance.now()
  const net = netOf(data.inputs, layers)
  const ort = await loadEngine(job.engine as OrtEngineId)
  const session = await ort.session(buildTrainingGraph(net, workloadLoss(job.workload)))
  const k = data.inputs
  const params: Param[] = linears(net).flatMap((l, k) => {
    const w = weights[k] as LayerWeights
    return [
      { name: l.weight, shape: [l.units, l.inputs], data: transpose(w.kernel, w.inputs, w.units) },
      { name: l.bias, shape: [l.units], data: w.bias.slice() },
    ].map((p) => ({ ...p, m: new Float32Array(p.data.length), v: new Float32Array(p.data.length) }))
  })
  const feeds: Record<string, OrtTensor> = {}
  // Made once: Adam updates the arrays in place and ORT reads them at every run, as torch-style does.
  for (const p of params) feeds[p.name] = ort.tensor(p.data, p.shape)
  const whole = batch === data.n
  // Batch buffers per batch size (the last batch may be smaller), refilled in place; ORT reads them
  // at every run. One full batch in order is the data itself.
  const buffers = new Map<number, { x: OrtTensor; y: OrtTensor; xb: Float32Array; yb: Float32Array }>()
  const bufferOf = (size: number) => {
    let b = buffers.get(size)
    if (!b) {
      const [xb, yb] = [new Float32Array(size * k), new Float32Array(size)]
      b = { x: ort.tensor(xb, [size, k]), y: ort.tensor(yb, [size, 1]), xb, yb }
      buffers.set(size, b)
    }
    return b
  }
  if (whole) {
    feeds.x = ort.tensor(data.x, [data.n, k])
    feeds.y = ort.tensor(data.y, [data.n, 1])
  }
  const order = batchOrder(data.n, !whole, SEED, STREAM)
  const setupMs = performance.now() - setupStart
  const t = performance.now()
  let steps = 0
  let loss = Number.NaN
  try {
    for (let epoch = 0; epoch < job.epochs; epoch++) {
      let sum = 0
      for (const rows of batches(order(epoch), batch)) {
        if (!whole) {
          const b = bufferOf(rows.length)
          for (let r = 0; r < rows.length; r++) {
            const row = rows[r] as number
            if (k === 1) b.xb[r] = data.x[row] as number
            else b.xb.set(data.x.subarray(row * k, (row + 1) * k), r * k)
            b.yb[r] = data.y[row] as number
          }
          feeds.x = b.x
          feeds.y = b.y
        }
        const out = await session.run(feeds)
        adam(params, out, ++steps)
        sum += (((out[LOSS] as OrtTensor).data as Float32Array)[0] as number) * rows.length
      }
      loss = sum / data.n
    }
    return { trainMs: performance.now() - t, epochsRun: job.epochs, steps, setupMs, finalLoss: loss }
  } finally {
    await session.release()
  }
}
