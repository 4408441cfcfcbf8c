import { createRequire } from 'node:module'
import { type Backend, checkModel, rowsOf, type TrainedModel } from '@dualfit/core'
import * as tf from '@tensorflow/tfjs-core'
import { chooseEngine, exclusive, KERAS_ENGINES, useEngine } from './engines.js'
import { buildModel } from './model.js'
import { layersModelFiles } from './save.js'
import { settings, train } from './train.js'

const pkg = createRequire(import.meta.url)('../package.json') as { name: string; version: string }

/** Builds the layers model from plain weights and runs `model.predict`; rows of `model.inputs` values. */
async function predict(model: TrainedModel, x: Float32Array, engine: string): Promise<Float32Array> {
  checkModel(model)
  const n = rowsOf(x, model.inputs)
  await useEngine(engine)
  const m = buildModel(model.inputs, model.layers, model.weights)
  try {
    const y = tf.tidy(() => m.predict(tf.tensor2d(x, [n, model.inputs])) as tf.Tensor)
    try {
      // data(), not dataSync(): see readWeights.
      return Float32Array.from((await y.data()) as Float32Array)
    } finally {
      y.dispose()
    }
  } finally {
    m.dispose()
  }
}

export function createBackend(): Backend {
  let disposed = false
  const run = <T>(job: () => Promise<T>): Promise<T> =>
    disposed ? Promise.reject(new Error('keras-style: this backend was disposed')) : exclusive(job)
  return {
    id: 'keras-style',
    version: `${pkg.name}@${pkg.version}`,
    engines: KERAS_ENGINES,
    chooseEngine,
    train: (job, hooks) => run(() => train(job, hooks)),
    settings,
    predict: (model, x, engine) => run(() => predict(model, x, engine)),
    saveFormats: ['tfjs'],
    save: async (model, format) => {
      if (format !== 'tfjs') throw new Error(`keras-style saves 'tfjs' (layers format), not '${format}'`)
      return layersModelFiles(model)
    },
    // Every job frees its own tensors; what remains is waiting for the queued ones. tfjs' engine and
    // its backends are process-wide and shared with other instances, so they stay.
    dispose: async () => {
      disposed = true
      await exclusive(async () => undefined)
    },
  }
}
