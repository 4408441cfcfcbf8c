import {
  batches,
  type DataSplit,
  type EpochLogs,
  type LayerSpec,
  probabilitiesOf,
  Rng,
  subset,
  type TrainHooks,
  type TrainJob,
  type TrainResult,
  type TrainSettings,
} from '@dualfit/core'
import * as tf from '@tensorflow/tfjs-core'
import * as tl from '@tensorflow/tfjs-layers'
import { useEngine } from './engines.js'
import { buildModel, compileModel, readWeights, targets } from './model.js'
import { LrSchedule, optimizerSettings } from './optimizers.js'

type Tensors = [tf.Tensor2D, tf.Tensor2D]

/**
 * Every epoch's batches, for fitDataset: epoch e visits `order(e)` cut into consecutive batches (fit on
 * tensors can only keep row order or shuffle with Math.random). One endless iterator; fitDataset's
 * batchesPerEpoch marks the epochs and disposes each batch after its step. Batches are built from
 * the rows in JS, which costs less than fit's per-batch slice, cast and gather kernels.
 */
function epochBatches(
  data: DataSplit,
  order: (epoch: number) => Uint32Array,
  batchSize: number,
  tensors: (d: DataSplit) => Tensors,
  all: Tensors | null,
  signal: AbortSignal | undefined,
) {
  return {
    size: Number.POSITIVE_INFINITY,
    iterator: async () => {
      let epoch = 0
      let queue: Uint32Array[] = []
      let next = 0
      return {
        next: async (): Promise<IteratorResult<{ xs: tf.Tensor2D; ys: tf.Tensor2D }>> => {
          // Asked before every step: an abort ends fitDataset with its reason.
          signal?.throwIfAborted()
          if (next === queue.length) {
            queue = batches(order(epoch++), batchSize)
            next = 0
          }
          const rows = queue[next++] as Uint32Array
          // Every row in order (a full batch): clones share the data tensors, nothing is copied.
          const [xs, ys] =
            all && rows.length === data.n && rows.every((r, i) => r === i)
              ? [tf.clone(all[0]), tf.clone(all[1])]
              : tensors(subset(data, rows))
          return { done: false, value: { xs, ys } }
        },
      }
    },
  }
}

/**
 * fit(shuffle: true)'s order: tfjs shuffles one index array in place each epoch (util.shuffle,
 * Fisher-Yates on Math.random, which cannot be seeded). Same algorithm on a seeded stream.
 */
function fitShuffle(n: number, seed: number): () => Uint32Array {
  const rng = new Rng(seed, 'keras-style', 'shuffle')
  const index = Uint32Array.from({ length: n }, (_, i) => i)
  return () => {
    for (let counter = n; counter > 0; ) {
      const j = Math.floor(rng.float() * counter)
      counter--
      const t = index[counter] as number
      index[counter] = index[j] as number
      index[j] = t
    }
    return index
  }
}

/** What train(job) below applies; the framework's own conventions are buildModel's and fitShuffle's. */
export function settings(job: TrainJob): TrainSettings {
  return {
    initializer: job.initialWeights
      ? 'given'
      : 'glorotNormal kernel (truncated normal), zero bias (tf.layers.dense defaults), seeded per layer',
    order: job.order ? 'given' : 'tfjs fit(shuffle) Fisher-Yates on one index array, seeded',
    batchSize: job.batchSize,
    ...optimizerSettings(job.optimizer, job.schedule),
    // Keras' named losses average over outputs, then fit over the batch: the mean of every element;
    // the classification losses give one value per row, so the mean over rows.
    lossReduction: 'mean',
    // tfjs-core's losses on logits clip nothing; tfjs-layers' on probabilities clip to [epsilon(),
    // 1 - epsilon()], 1e-7 here (losses.js): the spec's request, as it is.
    ...probabilitiesOf(job.loss),
  }
}

/**
 * The layers' l2 penalties at the current weights: fit's training loss includes them (training.js
 * totalLossFunction) but its val_loss does not (makeTestFunction); Keras reports both with them
 * (keras/src/trainers/trainer.py compute_loss adds model.losses).
 */
async function penalty(model: tl.LayersModel): Promise<number> {
  const losses = model.calculateLosses()
  if (losses.length === 0) return 0
  const total = tf.tidy(() => tf.addN(losses))
  tf.dispose(losses)
  try {
    return ((await total.data()) as Float32Array)[0] as number
  } finally {
    total.dispose()
  }
}

/**
 * One training run the Keras way: sequential model, compile, fitDataset with a callback that asks
 * the harness at each epoch end. Epoch loss and val_loss are what fit reports.
 */
export async function train(job: TrainJob, hooks: TrainHooks): Promise<TrainResult> {
  const t0 = performance.now()
  await useEngine(job.engine)
  const { data, validation } = job
  const model = buildModel(job.model.inputs, job.model.layers, job.initialWeights, job.seed)
  const optimizer = compileModel(model, job.loss, job.optimizer, Boolean(job.schedule))
  const schedule = job.schedule ? new LrSchedule(job.schedule, job.optimizer.lr, optimizer) : null
  const classes = (job.model.layers.at(-1) as LayerSpec).units
  const tensors = (d: DataSplit): Tensors => [
    tf.tensor2d(d.x, [d.n, d.inputs]),
    targets(job.loss, classes, d),
  ]
  const val = validation ? tensors(validation) : undefined
  const batchesPerEpoch = Math.ceil(data.n / job.batchSize)
  const all = batchesPerEpoch === 1 ? tensors(data) : null
  let epochsRun = 0
  try {
    const t1 = performance.now()
    await model.fitDataset(
      epochBatches(
        data,
        job.order ?? fitShuffle(data.n, job.seed),
        job.batchSize,
        tensors,
        all,
        hooks.signal,
      ),
      {
        epochs: job.epochs,
        batchesPerEpoch,
        verbose: 0,
        // One pass over the validation rows (its default batch is 32).
        ...(val && validation ? { validationData: val, validationBatchSize: validation.n } : {}),
        callbacks: [
          ...(schedule ? [schedule] : []),
          new tl.CustomCallback(
            {
              onEpochEnd: async (epoch, logs) => {
                epochsRun = epoch + 1
                const epochLogs: EpochLogs = { loss: logs?.loss ?? Number.NaN }
                if (val) epochLogs.valLoss = (logs?.val_loss ?? Number.NaN) + (await penalty(model))
                if (schedule) epochLogs.lr = schedule.lr
                const answer = await hooks.onEpochEnd(epoch, epochLogs, () => readWeights(model))
                if (answer === 'stop') model.stopTraining = true
              },
            },
            // fit's default: a turn for the event loop every 125 ms, so that Ctrl-C is seen mid-trial.
            // 'never' blocks it for a whole trial and measured no faster.
            'auto',
          ),
        ],
      },
    )
    return {
      weights: await readWeights(model),
      steps: epochsRun * batchesPerEpoch,
      setupMs: t1 - t0,
    }
  } finally {
    model.dispose()
    optimizer.dispose()
    if (val) tf.dispose(val)
    if (all) tf.dispose(all)
  }
}
