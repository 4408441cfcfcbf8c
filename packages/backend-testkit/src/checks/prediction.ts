/**
 * 6. Prediction, one activation at a time (so a failure names it), then all of them stacked.
 * 7. The exported graph is the portable form of a model; it must agree with the backend's own predict.
 */
import type { LayerSpec, TrainedModel } from '@dualfit/core'
import { predictOnnx } from '@dualfit/onnx'
import { diagnoseForward, fail, messageOf, worstCell } from '../assertions.js'
import {
  DATA,
  DEEP_NET,
  LINEAR_NET,
  makeJob,
  PREDICT_X,
  recorder,
  SHUFFLED,
  weightsFor,
} from '../fixtures.js'
import { referenceForward, relativeError } from '../reference.js'
import { type Check, DEFAULT_TOLERANCE, train } from './check.js'

const ACTIVATIONS: readonly LayerSpec['activation'][] = ['linear', 'relu', 'tanh', 'sigmoid']

export const predicts: Check = async (backend, engine, o = {}) => {
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE
  const nets: [string, LayerSpec[]][] = ACTIVATIONS.map((activation) => [
    `2-3 ${activation}-1`,
    [{ units: 3, activation }, LINEAR_NET[0] as LayerSpec],
  ])
  nets.push(['2-4 relu-3 tanh-3 sigmoid-2 linear', DEEP_NET])
  // softmax is only ever a last layer (cross_entropy with fromLogits false): rows of probabilities.
  nets.push([
    '2-3 tanh-3 softmax',
    [
      { units: 3, activation: 'tanh' },
      { units: 3, activation: 'softmax' },
    ],
  ])
  for (const [k, [label, layers]] of nets.entries()) {
    const what = `predict (${label})`
    const model: TrainedModel = { inputs: DATA.inputs, layers, weights: weightsFor(layers, 100 + k) }
    const x = PREDICT_X.slice()
    let y: Float32Array
    try {
      y = await backend.predict(model, x, engine)
    } catch (e) {
      fail(`${what}: predict() rejected: ${messageOf(e)}`, e)
    }
    const n = PREDICT_X.length / DATA.inputs
    const width = (layers[layers.length - 1] as LayerSpec).units
    if (!(y instanceof Float32Array)) fail(`${what}: predict() returned ${y}, not a Float32Array`)
    if (y.length !== n * width)
      fail(`${what}: predict() returned ${y.length} values for ${n} rows of ${width} output(s)`)
    if (x.some((v, i) => !Object.is(v, PREDICT_X[i]))) fail(`${what}: predict() changed its input x`)
    const want = referenceForward(model, x)
    if (relativeError(y, want) > tolerance)
      fail(`${what}: ${worstCell(y, want, width)}${diagnoseForward(model, x, y, tolerance)}`)
  }
}

export const onnxRoundTrip: Check = async (backend, engine, o = {}) => {
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE
  const what = 'ONNX round trip'
  const job = makeJob(engine, { epochs: 3, batchSize: 2, order: SHUFFLED })
  const trained = await train(backend, what, job, recorder())
  const model: TrainedModel = { ...job.model, weights: trained.weights }
  const x = PREDICT_X
  let onnx: Float32Array
  try {
    onnx = await predictOnnx(model, x.slice())
  } catch (e) {
    fail(
      `${what}: exporting the trained weights or running them in onnxruntime-node failed: ${messageOf(e)}`,
      e,
    )
  }
  let mine: Float32Array
  try {
    mine = await backend.predict(model, x.slice(), engine)
  } catch (e) {
    fail(`${what}: predict() rejected: ${messageOf(e)}`, e)
  }
  if (relativeError(mine, onnx) > tolerance) {
    const ref = referenceForward(model, x)
    const who =
      relativeError(onnx, ref) <= tolerance
        ? 'onnxruntime agrees with the float64 reference, so predict() is off'
        : relativeError(mine, ref) <= tolerance
          ? 'predict() agrees with the float64 reference, so the exported graph is off'
          : 'neither agrees with the float64 reference'
    const cell = worstCell(mine, onnx, 1, 'onnxruntime gives')
    fail(`${what}: backend.predict and the exported model in onnxruntime-node disagree: ${cell}; ${who}`)
  }
}
