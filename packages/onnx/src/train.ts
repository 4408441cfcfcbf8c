/**
 * Training graphs: forward pass, loss and reverse-mode gradients as plain ONNX ops, run by an
 * ordinary InferenceSession (ORT's own training API is gone from its JS packages).
 * Parameters are graph inputs, so one session per model shape serves every step.
 */
import { type LossSpec, UserError } from '@dualfit/core'
import {
  batchDims,
  emitForward,
  gradName,
  linears,
  type Net,
  outputsOf,
  paramInputs,
  type Trace,
} from './net.js'
import { GraphBuilder } from './proto.js'

export const LOSS = 'loss'

/** Prediction graph: x and the parameters in, y out. */
export function buildForwardGraph(net: Net): Uint8Array {
  const g = new GraphBuilder('forward')
  g.input('x', batchDims(net.inputs))
  paramInputs(g, net)
  const { y } = emitForward(g, net, 'x')
  g.output(y, 'y', batchDims(outputsOf(net)))
  return g.encode('dualfit forward graph')
}

/**
 * Emits the mean loss of `pred` against `target` and dLoss/dpred as `grad` times the scalar
 * `scale`, float32, with PyTorch's definitions: MSELoss, L1Loss (subgradient 0 at 0, as sign()
 * gives), HuberLoss(delta). Every gradient is linear in dLoss/dpred, so the scale is applied to the
 * small parameter gradients at the end: a scalar broadcast over [batch, 1] costs ~10 ms at 1e6 rows.
 * The element count comes from the graph, so any batch size works.
 */
function emitLoss(g: GraphBuilder, loss: LossSpec, pred: string, target: string) {
  const d = g.node('Sub', [pred, target])
  const count = g.node('Cast', [g.node('Size', [d])], { to: { int: 1 } })
  // Named as the graph output directly: an Identity to rename it would cost a node per step.
  const mean = (v: string) => g.node('ReduceMean', [v], { keepdims: { int: 0 } }, LOSS)
  switch (loss.name) {
    case 'mse':
      return { value: mean(g.node('Mul', [d, d])), grad: d, scale: g.node('Div', [g.scalar(2), count]) }
    case 'mae':
      return {
        value: mean(g.node('Abs', [d])),
        grad: g.node('Sign', [d]),
        scale: g.node('Div', [g.scalar(1), count]),
      }
    case 'huber': {
      // |d| < delta ? 0.5 d^2 : delta (|d| - 0.5 delta); its derivative is d clipped to [-delta, delta].
      const delta = g.scalar(loss.delta)
      const abs = g.node('Abs', [d])
      const quadratic = g.node('Mul', [g.scalar(0.5), g.node('Mul', [d, d])])
      const linear = g.node('Mul', [delta, g.node('Sub', [abs, g.scalar(0.5 * loss.delta)])])
      const elementwise = g.node('Where', [g.node('Less', [abs, delta]), quadratic, linear])
      const clipped = g.node('Clip', [d, g.scalar(-loss.delta), delta])
      return { value: mean(elementwise), grad: clipped, scale: g.node('Div', [g.scalar(1), count]) }
    }
  }
}

const unscaled = (name: string) => `${name}.unscaled`

/** dLoss/d(op input) from dLoss/d(op output), plus the parameter gradients of a linear op. */
function emitBackward(g: GraphBuilder, t: Trace, grad: string, needInputGrad: boolean): string {
  switch (t.op.op) {
    case 'relu':
      // PyTorch's threshold_backward: pass the gradient where the output is positive. At 1e6 x 64,
      // Mul by the mask cast to float took 1.45 s a step against 1.6 s for Mul by Sign (a slow
      // kernel) and 1.8 s for Where(Greater(...)), which also peaked 300 MB higher.
      return g.node('Mul', [
        grad,
        g.node('Cast', [g.node('Greater', [t.output, g.scalar(0)])], { to: { int: 1 } }),
      ])
    case 'tanh':
      return g.node('Mul', [grad, g.node('Sub', [g.scalar(1), g.node('Mul', [t.output, t.output])])])
    case 'sigmoid':
      return g.node('Mul', [grad, g.node('Mul', [t.output, g.node('Sub', [g.scalar(1), t.output])])])
    case 'linear': {
      const { weight, bias } = t.params as { weight: string; bias: string }
      // y = x W^T + b  =>  dW = dy^T x ([units, inputs]), db = dy summed over the batch, dx = dy W.
      g.node('Gemm', [grad, t.input], { transA: { int: 1 } }, unscaled(gradName(weight)))
      g.node('ReduceSum', [grad, g.int64s([0])], { keepdims: { int: 0 } }, unscaled(gradName(bias)))
      // The first linear op needs no dx: the sweep ends there.
      return needInputGrad ? g.node('MatMul', [grad, weight]) : ''
    }
  }
}

/**
 * Training graph: x [batch, inputs], y [batch, outputs] and the parameters in; `loss` (scalar)
 * and each parameter's gradient (`dense0.weight.grad`, ...) out.
 */
export function buildTrainingGraph(net: Net, loss: LossSpec): Uint8Array {
  const g = new GraphBuilder('train')
  g.input('x', batchDims(net.inputs))
  g.input('y', batchDims(outputsOf(net)))
  paramInputs(g, net)
  const forward = emitForward(g, net, 'x')
  const l = emitLoss(g, loss, forward.y, 'y')
  g.output(l.value, LOSS, [])
  // Reverse sweep; no gradient flows into x, so the sweep stops at the first linear op.
  const firstLinear = forward.trace.findIndex((t) => t.op.op === 'linear')
  if (firstLinear < 0) throw new UserError('model: no linear layer, so nothing to train')
  let grad = l.grad
  for (let i = forward.trace.length - 1; i >= firstLinear; i--) {
    grad = emitBackward(g, forward.trace[i] as Trace, grad, i > firstLinear)
  }
  for (const p of linears(net)) {
    for (const name of [gradName(p.weight), gradName(p.bias)])
      g.node('Mul', [unscaled(name), l.scale], {}, name)
    g.output(gradName(p.weight), gradName(p.weight), [p.units, p.inputs])
    g.output(gradName(p.bias), gradName(p.bias), [p.units])
  }
  return g.encode(`dualfit training graph, ${loss.name} loss`)
}
