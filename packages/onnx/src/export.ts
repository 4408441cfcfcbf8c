import { type LayerWeights, type TrainedModel, UserError } from '@dualfit/core'
import { batchDims, emitForward, linears, netOf, outputsOf } from './net.js'
import { GraphBuilder } from './proto.js'

/** [rows, cols] row-major -> [cols, rows] row-major. */
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length)
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] as number
  return out
}

/** Throws a UserError naming the first layer whose weights do not fit the model's shape. */
export function checkModel(model: TrainedModel): void {
  if (model.weights.length !== model.layers.length) {
    throw new UserError(`model: ${model.layers.length} layer(s) but weights for ${model.weights.length}`)
  }
  let width = model.inputs
  model.layers.forEach((layer, i) => {
    const w = model.weights[i] as LayerWeights
    const ok =
      w.inputs === width &&
      w.units === layer.units &&
      w.kernel.length === width * layer.units &&
      w.bias.length === layer.units
    if (!ok) {
      throw new UserError(
        `model: layer ${i} expects a [${width}, ${layer.units}] kernel and ${layer.units} bias value(s), ` +
          `got [${w.inputs}, ${w.units}] (${w.kernel.length} values) and ${w.bias.length}`,
      )
    }
    width = layer.units
  })
}

/**
 * A standard ONNX model of a trained network: input `x` [batch, inputs], output `y` [batch, outputs],
 * one Gemm(transB=1) per layer with the weights as initializers (as torch.onnx.export writes nn.Linear),
 * then the activation. Opset 17; any ONNX runtime loads it.
 */
export function exportOnnx(model: TrainedModel): Uint8Array {
  checkModel(model)
  const net = netOf(model.inputs, model.layers)
  const g = new GraphBuilder('dualfit')
  g.input('x', batchDims(model.inputs))
  linears(net).forEach((l, k) => {
    const w = model.weights[k] as LayerWeights
    g.initializer(l.weight, [l.units, l.inputs], transpose(w.kernel, l.inputs, l.units))
    g.initializer(l.bias, [l.units], w.bias)
  })
  const { y } = emitForward(g, net, 'x')
  g.output(y, 'y', batchDims(outputsOf(net)))
  const shape = model.layers.map((l) => `${l.units}${l.activation === 'linear' ? '' : ` ${l.activation}`}`)
  return g.encode(`dualfit model: ${model.inputs} input(s) -> ${shape.join(' -> ')}`)
}
