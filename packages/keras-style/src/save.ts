import { checkModel, type TrainedModel } from '@dualfit/core'
import * as tf from '@tensorflow/tfjs-core'
import { exclusive, useEngine } from './engines.js'
import { buildModel } from './model.js'

const WEIGHTS = 'weights.bin'

/**
 * A model in TF.js layers format, as tfjs-node's file:// handler would write it (not available
 * without tfjs-node): `model.json` (topology + weights manifest) and `weights.bin`, loadable with
 * `tf.loadLayersModel`. weights.bin comes first, so a writer that keeps the order never leaves a
 * model.json without its weights.
 */
export async function layersModelFiles(model: TrainedModel): Promise<Record<string, Uint8Array>> {
  checkModel(model)
  return exclusive(async () => {
    await useEngine('cpu')
    const m = buildModel(model.inputs, model.layers, model.weights)
    let files: Record<string, Uint8Array> = {}
    try {
      await m.save(
        tf.io.withSaveHandler(async (artifacts) => {
          const json: tf.io.ModelJSON = {
            modelTopology: artifacts.modelTopology as object,
            format: artifacts.format,
            generatedBy: artifacts.generatedBy,
            convertedBy: artifacts.convertedBy,
            weightsManifest: [{ paths: [WEIGHTS], weights: artifacts.weightSpecs ?? [] }],
          }
          files = {
            [WEIGHTS]: new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData)),
            'model.json': new TextEncoder().encode(JSON.stringify(json)),
          }
          return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) }
        }),
      )
    } finally {
      m.dispose()
    }
    return files
  })
}
