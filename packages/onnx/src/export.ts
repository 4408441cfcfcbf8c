import {
  checkModel,
  type LayerSpec,
  type LayerWeights,
  type TrainedModel,
  transpose,
  UserError,
} from '@dualfit/core'
import { batchDims, emitForward, linears, netOf, outputsOf } from './net.js'
import { GraphBuilder } from './proto.js'

export interface ExportOptions {
  /**
   * The model is a classifier: its class names in label order, stored in the model's metadata_props
   * as `dualfit.classes` (a JSON array) with `dualfit.task` 'classification'. probabilities: a last
   * layer of logits (linear) gets its Softmax (one unit per class, cross_entropy) or Sigmoid (one
   * unit, the second class's probability, binary_cross_entropy) appended, so y holds probabilities.
   */
  classification?: { classes: string[]; probabilities: boolean }
}

/** How many classes a classifier's last layer of `units` stands for: one unit is binary. */
export const classesOf = (units: number) => (units === 1 ? 2 : units)

/** The Dense-layer list that is exported: a classifier's logits turned into probabilities when asked. */
function exportedLayers(model: TrainedModel, classification: ExportOptions['classification']): LayerSpec[] {
  if (!classification) return model.layers
  const last = model.layers[model.layers.length - 1] as LayerSpec
  const { classes, probabilities } = classification
  if (classes.length !== classesOf(last.units))
    throw new UserError(
      `classification.classes: expected ${classesOf(last.units)} class name(s) for a last layer of ${last.units} unit(s), got ${classes.length}`,
    )
  const activation = last.units === 1 ? 'sigmoid' : 'softmax'
  if (last.activation !== 'linear' && last.activation !== activation)
    throw new UserError(
      `model: a classifier's last layer of ${last.units} unit(s) must be 'linear' (logits) or '${activation}', got '${last.activation}'`,
    )
  return probabilities ? [...model.layers.slice(0, -1), { ...last, activation }] : model.layers
}

/**
 * A standard ONNX model of a trained network: input `x` [batch, inputs], output `y` [batch, outputs],
 * one Gemm(transB=1) per layer with the weights as initializers (as torch.onnx.export writes nn.Linear),
 * then the activation. Opset 17; any ONNX runtime loads it.
 */
export function exportOnnx(model: TrainedModel, options: ExportOptions = {}): Uint8Array {
  checkModel(model)
  const layers = exportedLayers(model, options.classification)
  const net = netOf(model.inputs, layers)
  const g = new GraphBuilder('dualfit')
  g.input('x', batchDims(model.inputs))
  linears(net).forEach((l, k) => {
    const w = model.weights[k] as LayerWeights
    g.initializer(l.weight, [l.units, l.inputs], transpose(w.kernel, l.inputs, l.units))
    g.initializer(l.bias, [l.units], w.bias)
  })
  const { y } = emitForward(g, net, 'x')
  g.output(y, 'y', batchDims(outputsOf(net)))
  const shape = layers.map((l) => `${l.units}${l.activation === 'linear' ? '' : ` ${l.activation}`}`)
  const classes = options.classification?.classes
  return g.encode(
    `dualfit ${classes ? `classifier of ${classes.length} classes` : 'model'}: ${model.inputs} input(s) -> ${shape.join(' -> ')}`,
    classes ? { [TASK_KEY]: 'classification', [CLASSES_KEY]: JSON.stringify(classes) } : {},
  )
}

/** metadata_props keys of an exported classifier. */
export const TASK_KEY = 'dualfit.task'
export const CLASSES_KEY = 'dualfit.classes'
