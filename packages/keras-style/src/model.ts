/** The Keras way to describe a model: tf.sequential of Dense layers, compiled with a loss and an optimizer. */
import {
  type LayerSpec,
  type LayerWeights,
  type LossSpec,
  type OptimizerSpec,
  Rng,
  type TrainSettings,
} from '@dualfit/core'
import * as tf from '@tensorflow/tfjs-core'
import * as tl from '@tensorflow/tfjs-layers'

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

/** The model's weights as plain data (copies: tfjs may reuse or free the buffers it reads from). */
export function readWeights(model: tl.LayersModel): LayerWeights[] {
  return model.layers.map((layer) => {
    const [kernel, bias] = layer.getWeights() as [tf.Tensor2D, tf.Tensor1D]
    return {
      inputs: kernel.shape[0],
      units: kernel.shape[1],
      kernel: Float32Array.from(kernel.dataSync()),
      bias: Float32Array.from(bias.dataSync()),
    }
  })
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
  }
}

/**
 * tf.train.adam as tfjs 4.22 computes it: unlike Python Keras, it divides the bias-corrected m by
 * sqrt(bias-corrected v) + eps (PyTorch's placement). eps null is the backend's float epsilon, 1e-7
 * on every engine here (all float32).
 */
export function adamEpsilon(o: OptimizerSpec): TrainSettings['epsilon'] {
  return o.name === 'adam' ? { value: o.eps ?? 1e-7, placement: 'sqrt(v_hat) + eps' } : null
}

function kerasOptimizer(o: OptimizerSpec): tf.Optimizer {
  // eps null (framework defaults): left to tfjs (see adamEpsilon).
  if (o.name === 'adam') return tf.train.adam(o.lr, o.beta1, o.beta2, o.eps ?? undefined)
  // tfjs momentum (accum = m * accum + g; w -= lr * accum) equals Keras' and PyTorch's for a fixed lr.
  return o.momentum > 0 ? tf.train.momentum(o.lr, o.momentum) : tf.train.sgd(o.lr)
}

export function compileModel(model: tl.LayersModel, loss: LossSpec, optimizer: OptimizerSpec): tf.Optimizer {
  const opt = kerasOptimizer(optimizer)
  model.compile({ loss: kerasLoss(loss), optimizer: opt })
  return opt
}
