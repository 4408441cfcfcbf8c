import { rowsOf, type TrainedModel } from '@dualfit/core'
import { loadEngine, type OrtEngineId } from './engines.js'
import { exportOnnx } from './export.js'

/**
 * One-shot prediction: exports `model`, opens a session on `engine`, runs x [n, inputs] and
 * returns y [n, outputs]. For repeated calls keep a session (see loadEngine) instead.
 */
export async function predictOnnx(
  model: TrainedModel,
  x: Float32Array,
  engine: OrtEngineId = 'cpu',
): Promise<Float32Array> {
  const n = rowsOf(x, model.inputs)
  const ort = await loadEngine(engine)
  const session = await ort.session(exportOnnx(model))
  try {
    const { y } = await session.run({ x: ort.tensor(x, [n, model.inputs]) })
    return (y as { data: Float32Array }).data
  } finally {
    await session.release()
  }
}
