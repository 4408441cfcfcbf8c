/**
 * Where a keras-style training step's time goes in TF.js: the same Dense model and batches through
 * the Backend's train (fitDataset), then plain TF.js on the same engine: model.fit on tensors,
 * model.trainOnBatch and a bare optimizer.minimize, with the tfjs kernels each one launches per
 * step and the cost of one kernel. The plain TF.js rows use the tfjs that keras-style uses (one
 * installed copy, so one engine per process), on the engine its train() made current.
 */
import {
  type Backend,
  batches,
  batchOrder,
  builtinDataset,
  type DataSplit,
  initialWeights,
  type LayerSpec,
  resolveOptimizer,
  subset,
  type TrainJob,
} from '@dualfit/core'
import { createBackend } from '@dualfit/keras-style'
import * as tf from '@tensorflow/tfjs-core'
import * as tl from '@tensorflow/tfjs-layers'
import { median } from './stats.js'

export interface StepCost {
  /** e.g. 'model.fit'. */
  what: string
  steps: number
  usPerStep: number
  /** tfjs kernels launched per optimizer step (tf.profile), epoch-level work included. */
  kernelsPerStep: number
}

export interface StepProfile {
  engine: string
  batchSize: number
  rows: StepCost[]
  /** One small kernel (a scalar add, best of several timings) through tfjs' engine: its fixed cost. */
  usPerKernel: number
}

const LAYERS: LayerSpec[] = [{ units: 1, activation: 'linear' }]

function seedJob(engine: string, batchSize: number, epochs: number): TrainJob {
  const data = builtinDataset('meters-feet')
  return {
    engine,
    model: { inputs: 1, layers: LAYERS },
    loss: { name: 'mse', delta: 1 },
    optimizer: resolveOptimizer(
      { name: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-7, momentum: 0 },
      'tfjs',
    ),
    epochs,
    batchSize,
    data,
    initialWeights: initialWeights('keras', 1, LAYERS, 0),
    // Row order, as fit without shuffling visits them, so that every variant runs the same steps.
    order: batchOrder(data.n, false, 0),
    seed: 0,
  }
}

interface Variant {
  what: string
  /** Trains for `epochs` epochs of the seed data. */
  run: (epochs: number) => Promise<unknown>
}

/** Kernels per optimizer step, counted by tf.profile at two lengths: the difference drops one-off setup. */
async function kernelsPerStep(body: Variant['run'], stepsPerEpoch: number): Promise<number> {
  const count = async (e: number) =>
    (await tf.profile(() => body(e) as Promise<tf.TensorContainer>)).kernels.length
  const [short, long] = [await count(5), await count(15)]
  return (long - short) / (10 * stepsPerEpoch)
}

function batchTensors(data: DataSplit, batchSize: number): [tf.Tensor2D, tf.Tensor2D][] {
  return batches(batchOrder(data.n, false, 0)(0), batchSize).map((idx) => {
    const s = subset(data, idx)
    return [tf.tensor2d(s.x, [s.n, s.inputs]), tf.tensor2d(s.y, [s.n, s.outputs])]
  })
}

/** Dense(1) from the job's initial weights, compiled as keras-style compiles it (MSE, Adam). */
function plainModel(job: TrainJob): { model: tl.Sequential; optimizer: tf.Optimizer } {
  const model = tl.sequential({ layers: [tl.layers.dense({ units: 1, inputShape: [1] })] })
  const values = (job.initialWeights ?? []).flatMap((w) => [
    tf.tensor2d(w.kernel, [w.inputs, w.units]),
    tf.tensor1d(w.bias),
  ])
  model.setWeights(values)
  tf.dispose(values)
  const optimizer = tf.train.adam(0.01, 0.9, 0.999, 1e-7)
  model.compile({ loss: 'meanSquaredError', optimizer })
  return { model, optimizer }
}

function variants(backend: Backend, job: TrainJob, model: tl.Sequential, held: [tf.Tensor2D, tf.Tensor2D][]) {
  const { data, batchSize } = job
  const never = async () => 'continue' as const
  const [x, y] = [tf.tensor2d(data.x, [data.n, 1]), tf.tensor2d(data.y, [data.n, 1])]
  const [w, b] = model.getWeights() as [tf.Variable, tf.Variable]
  const bare = tf.train.adam(0.01, 0.9, 0.999, 1e-7)
  const list: Variant[] = [
    {
      what: 'Backend.train (fitDataset)',
      run: (e) => backend.train({ ...job, epochs: e }, { onEpochEnd: never }),
    },
    {
      what: 'model.fit (tensors, no shuffle)',
      run: (e) => model.fit(x, y, { epochs: e, batchSize, shuffle: false, verbose: 0 }),
    },
    {
      what: 'model.trainOnBatch',
      run: async (e) => {
        for (let i = 0; i < e; i++) for (const [xb, yb] of held) await model.trainOnBatch(xb, yb)
      },
    },
    {
      what: 'optimizer.minimize (bare Adam)',
      run: async (e) => {
        for (let i = 0; i < e; i++) {
          for (const [xb, yb] of held) {
            bare
              .minimize(() => tf.losses.meanSquaredError(yb, tf.add(tf.matMul(xb, w), b)), true, [w, b])
              ?.dispose()
          }
        }
      },
    },
  ]
  const dispose = () => {
    tf.dispose([x, y])
    bare.dispose()
  }
  return { list, dispose }
}

/**
 * Each variant is warmed up, then timed `reps` times over `epochs` epochs of the seed data
 * (7 rows), the variants taking turns so that a slow spell of the machine hits all of them; the
 * median is reported.
 */
export async function profileSteps(
  engine: string,
  batchSize: number,
  { epochs, reps }: { epochs: number; reps: number },
): Promise<StepProfile> {
  const backend = createBackend()
  const job = seedJob(engine, batchSize, epochs)
  // train() makes the engine tfjs' current backend: every tensor below must be made on it.
  await backend.train({ ...job, epochs: 1 }, { onEpochEnd: async () => 'continue' })
  if (!tf.engine().backendName) throw new Error("benchmarks' @tensorflow/tfjs-core is not keras-style's")
  const stepsPerEpoch = Math.ceil(job.data.n / batchSize)
  const { model, optimizer } = plainModel(job)
  const held = batchTensors(job.data, batchSize)
  const v = variants(backend, job, model, held)
  try {
    const times = v.list.map(() => [] as number[])
    // Warm-up: V8 optimizes tfjs' hot paths only after a while.
    for (const x of v.list) await x.run(epochs)
    for (let r = 0; r < reps; r++) {
      for (const [i, x] of v.list.entries()) {
        const t = performance.now()
        await x.run(epochs)
        times[i]?.push(((performance.now() - t) * 1000) / (epochs * stepsPerEpoch))
      }
    }
    const rows: StepCost[] = []
    for (const [i, x] of v.list.entries()) {
      rows.push({
        what: x.what,
        steps: epochs * stepsPerEpoch,
        usPerStep: median(times[i] ?? []),
        kernelsPerStep: await kernelsPerStep(x.run, stepsPerEpoch),
      })
    }
    return { engine, batchSize, rows, usPerKernel: kernelCost() }
  } finally {
    v.dispose()
    tf.dispose(held.flat())
    model.dispose()
    optimizer.dispose()
    await backend.dispose()
  }
}

/** Cheapest time seen for a scalar add through tfjs' engine: the fixed cost of launching one kernel. */
function kernelCost(): number {
  const [a, b] = [tf.scalar(1), tf.scalar(2)]
  const n = 2000
  let best = Number.POSITIVE_INFINITY
  for (let r = 0; r < 15; r++) {
    const t = performance.now()
    for (let i = 0; i < n; i++) tf.add(a, b).dispose()
    best = Math.min(best, ((performance.now() - t) * 1000) / n)
  }
  tf.dispose([a, b])
  return best
}
