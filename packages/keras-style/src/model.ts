/** The Keras way to describe a model: tf.sequential of Dense layers, compiled with a loss and an optimizer. */
import {
  type DataSplit,
  type LayerSpec,
  type LayerWeights,
  type LossSpec,
  Rng,
  type TrainOptimizer,
} from '@dualfit/core'
import * as tf from '@tensorflow/tfjs-core'
import * as tl from '@tensorflow/tfjs-layers'
import { makeOptimizer } from './optimizers.js'

/**
 * Dense layers on `[inputs]`. With `weights` the model starts from them (Keras kernel layout
 * [inputs, units]); without, from tfjs' own defaults, glorotNormal kernel and zero bias, seeded.
 */
export function buildModel(
  inputs: number,
  layers: LayerSpec[],
  weights: LayerWeights[] | null,
  seed = 0,
): tl.Sequential {
  // Fixed names (Keras-like) rather than tfjs' process-wide counters: a saved model.json repeats.
  const model = tl.sequential({ name: 'sequential' })
  layers.forEach((layer, i) => {
    model.add(
      tl.layers.dense({
        name: `dense_${i + 1}`,
        units: layer.units,
        activation: layer.activation,
        ...(i === 0 ? { inputShape: [inputs] } : {}),
        // Keras' kernel_regularizer=l2(λ): λ Σ kernel² added to the training loss (regularizers.js L1L2).
        ...(layer.l2 ? { kernelRegularizer: tl.regularizers.l2({ l2: layer.l2 }) } : {}),
        // Given weights replace the initial ones at once; zeros spare an unseeded random draw.
        kernelInitializer: weights
          ? 'zeros'
          : tl.initializers.glorotNormal({
              seed: new Rng(seed, 'keras-style', 'glorotNormal', i).int(2 ** 31),
            }),
      }),
    )
  })
  if (weights) {
    const values = weights.flatMap((w) => [tf.tensor2d(w.kernel, [w.inputs, w.units]), tf.tensor1d(w.bias)])
    model.setWeights(values)
    tf.dispose(values)
  }
  return model
}

/**
 * The model's weights as plain data (copies: tfjs may reuse or free the buffers it reads from).
 * Asynchronous: tfjs-backend-webgpu reads synchronously only through OffscreenCanvas, which Node
 * lacks (backend_webgpu.js readSync); data() maps the GPU buffer instead.
 */
export function readWeights(model: tl.LayersModel): Promise<LayerWeights[]> {
  return Promise.all(
    model.layers.map(async (layer) => {
      const [kernel, bias] = layer.getWeights() as [tf.Tensor2D, tf.Tensor1D]
      const [k, b] = await Promise.all([kernel.data(), bias.data()])
      return {
        inputs: kernel.shape[0],
        units: kernel.shape[1],
        kernel: Float32Array.from(k as Float32Array),
        bias: Float32Array.from(b as Float32Array),
      }
    }),
  )
}

type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor

function kerasLoss(loss: LossSpec): string | LossFn {
  switch (loss.name) {
    case 'mse':
      return 'meanSquaredError'
    case 'mae':
      return 'meanAbsoluteError'
    case 'huber':
      // tfjs-layers has no named Huber loss. Keras' Huber is the element-wise loss averaged over the
      // last axis, one value per sample; fit then averages over the batch like the named losses.
      return (yTrue, yPred) =>
        tf.mean(tf.losses.huberLoss(yTrue, yPred, undefined, loss.delta, tf.Reduction.NONE), -1)
    // From logits: tfjs-core's losses (ops/losses/softmax_cross_entropy.js, sigmoid_cross_entropy.js),
    // which clip nothing; tfjs-layers' categoricalCrossentropy(fromLogits) clips after its softmax
    // and its sparseCategoricalCrossentropy(fromLogits) clips the logits themselves (losses.js 100,
    // 116). Reduction.MEAN: the mean over the batch's rows (their default, sum / count, is the same).
    // From probabilities: tfjs-layers' named losses (dist/losses.js), which clip to [epsilon,
    // 1 - epsilon], epsilon() the backend's 1e-7 in float32; fit averages their per-row losses.
    case 'cross_entropy':
      // sparseCategoricalCrossentropy clips p, takes p / sum(p) and clips again (losses.js 113-119, 90-100).
      return fromLogits(loss)
        ? (yTrue, yPred) => tf.losses.softmaxCrossEntropy(yTrue, yPred, undefined, 0, tf.Reduction.MEAN)
        : 'sparseCategoricalCrossentropy'
    case 'binary_cross_entropy':
      // binaryCrossentropy clips p, then sigmoid cross entropy on log(p / (1 - p)) (losses.js 160-166).
      return fromLogits(loss)
        ? (yTrue, yPred) => tf.losses.sigmoidCrossEntropy(yTrue, yPred, undefined, 0, tf.Reduction.MEAN)
        : 'binaryCrossentropy'
  }
}

/** Whether a classification loss takes logits: the spec always says (default true). */
const fromLogits = (loss: LossSpec): boolean => loss.fromLogits !== false

/**
 * The targets each loss takes from y (under a classification loss one column of class indices):
 * one-hot rows for softmaxCrossEntropy; the column as is for sparseCategoricalCrossentropy (it
 * floors and casts to int32 itself, and its floor refuses int32) and, as 0/1, for the binary losses.
 */
export function targets(loss: LossSpec, classes: number, d: DataSplit): tf.Tensor2D {
  if (loss.name === 'cross_entropy' && fromLogits(loss)) {
    // oneHot's int32 then a cast: the wasm kernel writes int32 whatever dtype it is asked for
    // (tfjs-backend-wasm kernels/OneHot.js passes no dtype to the C++ kernel).
    return tf.tidy(
      () => tf.cast(tf.oneHot(tf.tensor1d(Int32Array.from(d.y), 'int32'), classes), 'float32') as tf.Tensor2D,
    )
  }
  return tf.tensor2d(d.y, [d.n, d.outputs])
}

export function compileModel(
  model: tl.LayersModel,
  loss: LossSpec,
  optimizer: TrainOptimizer,
  scheduled: boolean,
): tf.Optimizer {
  const opt = makeOptimizer(optimizer, scheduled)
  model.compile({ loss: kerasLoss(loss), optimizer: opt })
  return opt
}
