/**
 * Where a training step's time goes in TF.js (for `pnpm bench`): the same Dense model and batches
 * through Backend.train (fitDataset), model.fit on tensors, model.trainOnBatch and a bare
 * optimizer.minimize, with the tfjs kernels each one launches per step and the cost of one kernel.
 */
import {
  batches,
  batchOrder,
  builtinDataset,
  type DataSplit,
  initialWeights,
  type LayerSpec,
  subset,
  type TrainJob,
} from '@dualfit/core'
import * as tf from '@tensorflow/tfjs-core'
import { exclusive, useEngine } from './engines.js'
import { buildModel, compileModel } from './model.js'
import { train } from './train.js'

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
    optimizer: { name: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-7, momentum: 0 },
    epochs,
    batchSize,
    data,
    initialWeights: initialWeights('keras', 1, LAYERS, 0),
    // Row order, as fit without shuffling visits them, so that every variant runs the same steps.
    order: batchOrder(data.n, false, 0),
    seed: 0,
  }
}

/** Kernels per optimizer step, counted by tf.profile at two lengths: the difference drops one-off setup. */
async function kernelsPerStep(body: Variant['run'], stepsPerEpoch: number): Promise<number> {
  const count = async (e: number) =>
    (await tf.profile(() => body(e) as Promise<tf.TensorContainer>)).kernels.length
  const [short, long] = [await count(5), await count(15)]
  return (long - short) / (10 * stepsPerEpoch)
}

interface Variant {
  what: string
  /** Trains for `epochs` epochs of the seed data. */
  run: (epochs: number) => Promise<unknown>
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

function batchTensors(data: DataSplit, batchSize: number): [tf.Tensor2D, tf.Tensor2D][] {
  return batches(batchOrder(data.n, false, 0)(0), batchSize).map((idx) => {
    const s = subset(data, idx)
    return [tf.tensor2d(s.x, [s.n, s.inputs]), tf.tensor2d(s.y, [s.n, s.outputs])]
  })
}

/**
 * Each variant is warmed up, then timed `reps` times over `epochs` epochs of the seed data
 * (7 rows), the variants taking turns so that a slow spell of the machine hits all of them; the
 * median is reported.
 */
export function profileSteps(
  engine: string,
  batchSize: number,
  { epochs, reps }: { epochs: number; reps: number },
): Promise<StepProfile> {
  return exclusive(async () => {
    await useEngine(engine)
    const job = seedJob(engine, batchSize, epochs)
    const { data } = job
    const stepsPerEpoch = Math.ceil(data.n / batchSize)
    const never = async () => 'continue' as const
    const model = buildModel(1, LAYERS, job.initialWeights)
    const optimizer = compileModel(model, job.loss, job.optimizer)
    const [x, y] = [tf.tensor2d(data.x, [data.n, 1]), tf.tensor2d(data.y, [data.n, 1])]
    const held = batchTensors(data, batchSize)
    const [w, b] = model.getWeights() as [tf.Variable, tf.Variable]
    const bare = tf.train.adam(0.01, 0.9, 0.999, 1e-7)
    const variants: Variant[] = [
      { what: 'Backend.train (fitDataset)', run: (e) => train({ ...job, epochs: e }, { onEpochEnd: never }) },
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
    try {
      const times = variants.map(() => [] as number[])
      // Warm-up: V8 optimizes tfjs' hot paths only after a while.
      for (const v of variants) await v.run(epochs)
      for (let r = 0; r < reps; r++) {
        for (const [i, v] of variants.entries()) {
          const t = performance.now()
          await v.run(epochs)
          times[i]?.push(((performance.now() - t) * 1000) / (epochs * stepsPerEpoch))
        }
      }
      const rows: StepCost[] = []
      for (const [i, v] of variants.entries()) {
        rows.push({
          what: v.what,
          steps: epochs * stepsPerEpoch,
          usPerStep: median(times[i] ?? []),
          kernelsPerStep: await kernelsPerStep(v.run, stepsPerEpoch),
        })
      }
      return { engine, batchSize, rows, usPerKernel: kernelCost() }
    } finally {
      tf.dispose([x, y, ...held.flat()])
      model.dispose()
      optimizer.dispose()
      bare.dispose()
    }
  })
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
