import { type TrainedModel, UserError } from '@dualfit/core'
import { loadEngine, type OrtEngineId } from './engines.js'
import { exportOnnx } from './export.js'

/** Throws a UserError unless `x` holds whole rows of `inputs` values; returns the row count. */
export function rowsOf(x: Float32Array, inputs: number, what = 'x'): number {
  if (x.length === 0 || x.length % inputs !== 0) {
    throw new UserError(`${what}: expected rows of ${inputs} value(s), got ${x.length} value(s)`)
  }
  return x.length / inputs
}

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
