import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { TrainedModel } from '@dualfit/core'
import { checkModel } from '@dualfit/onnx'
import * as tf from '@tensorflow/tfjs-core'
import { exclusive, useEngine } from './engines.js'
import { buildModel } from './model.js'

const WEIGHTS = 'weights.bin'

/** Writes next to the target, then renames: a reader never sees half a file. */
async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`
  await writeFile(tmp, data)
  await rename(tmp, path)
}

/**
 * Saves a model in TF.js layers format, as tfjs-node's file:// handler would (not available
 * without tfjs-node): `model.json` (topology + weights manifest) and `weights.bin`, loadable with
 * `tf.loadLayersModel`. weights.bin is written first, so a model.json always has its weights.
 */
export async function saveLayersModel(
  model: TrainedModel,
  dir: string,
): Promise<{ modelJson: string; weightsBin: string }> {
  checkModel(model)
  const paths = { modelJson: join(dir, 'model.json'), weightsBin: join(dir, WEIGHTS) }
  await mkdir(dir, { recursive: true })
  await exclusive(async () => {
    await useEngine('cpu')
    const m = buildModel(model.inputs, model.layers, model.weights)
    try {
      await m.save(
        tf.io.withSaveHandler(async (artifacts) => {
          await writeAtomic(
            paths.weightsBin,
            new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData)),
          )
          const json: tf.io.ModelJSON = {
            modelTopology: artifacts.modelTopology as object,
            format: artifacts.format,
            generatedBy: artifacts.generatedBy,
            convertedBy: artifacts.convertedBy,
            weightsManifest: [{ paths: [WEIGHTS], weights: artifacts.weightSpecs ?? [] }],
          }
          await writeAtomic(paths.modelJson, JSON.stringify(json))
          return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) }
        }),
      )
    } finally {
      m.dispose()
    }
  })
  return paths
}
