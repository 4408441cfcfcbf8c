import { checkModel, type LayerWeights, type TrainedModel, transpose } from '@dualfit/core'
import { batchDims, emitForward, linears, netOf, outputsOf } from './net.js'
import { GraphBuilder } from './proto.js'

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
