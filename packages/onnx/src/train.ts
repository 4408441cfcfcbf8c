/**
 * Training graphs: forward pass, loss and reverse-mode gradients as plain ONNX ops, run by an
 * ordinary InferenceSession (ORT's own training API is gone from its JS packages).
 * Parameters are graph inputs, so one session per model shape serves every step.
 */
import { classificationLoss, type LossSpec, PROBABILITY_CLIP, UserError } from '@dualfit/core'
import {
  batchDims,
  emitForward,
  gradName,
  linears,
  type Net,
  outputsOf,
  paramInputs,
  SOFTMAX_AXIS,
  type Trace,
} from './net.js'
import { FLOAT, GraphBuilder } from './proto.js'

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
 * gives), HuberLoss(delta); emitClassificationLoss has the classification losses. Every gradient
 * is linear in dLoss/dpred, so the scale is applied to the small parameter gradients at the end:
 * a scalar broadcast over [batch, 1] costs ~10 ms at 1e6 rows. The element count comes from the
 * graph, so any batch size works.
 */
function emitLoss(g: GraphBuilder, loss: LossSpec, pred: string, target: string, outputs: number) {
  if (classificationLoss(loss.name)) return emitClassificationLoss(g, loss, pred, target, outputs)
  const d = g.node('Sub', [pred, target])
  switch (loss.name) {
    case 'mse':
      return { value: mean(g, g.node('Mul', [d, d])), grad: d, scale: perElement(g, d, 2) }
    case 'mae':
      return { value: mean(g, g.node('Abs', [d])), grad: g.node('Sign', [d]), scale: perElement(g, d) }
    default: {
      // |d| < delta ? 0.5 d^2 : delta (|d| - 0.5 delta); its derivative is d clipped to [-delta, delta].
      const delta = g.scalar(loss.delta)
      const abs = g.node('Abs', [d])
      const quadratic = g.node('Mul', [g.scalar(0.5), g.node('Mul', [d, d])])
      const linear = g.node('Mul', [delta, g.node('Sub', [abs, g.scalar(0.5 * loss.delta)])])
      const elementwise = g.node('Where', [g.node('Less', [abs, delta]), quadratic, linear])
      const clipped = g.node('Clip', [d, g.scalar(-loss.delta), delta])
      return { value: mean(g, elementwise), grad: clipped, scale: perElement(g, d) }
    }
  }
}

/** The mean of `v`, named as the graph output directly: an Identity to rename it would cost a node per step. */
const mean = (g: GraphBuilder, v: string) => g.node('ReduceMean', [v], { keepdims: { int: 0 } }, LOSS)
/** k / (the number of elements of v), a float scalar. */
const perElement = (g: GraphBuilder, v: string, k = 1) =>
  g.node('Div', [g.scalar(k), g.node('Cast', [g.node('Size', [v])], { to: { int: FLOAT } })])
const classAxis = (g: GraphBuilder) => g.int64s([SOFTMAX_AXIS])

/**
 * Probabilities clipped to [PROBABILITY_CLIP, 1 - PROBABILITY_CLIP] as Keras clips them, and 1
 * where the gradient passes: inside the interval, bounds included (tf.clipByValue, torch.clamp).
 */
function clipProbabilities(g: GraphBuilder, p: string) {
  const clipped = g.node('Clip', [p, g.scalar(PROBABILITY_CLIP), g.scalar(1 - PROBABILITY_CLIP)])
  return { clipped, pass: g.node('Cast', [g.node('Equal', [clipped, p])], { to: { int: FLOAT } }) }
}

/**
 * Classification losses; `target` is [batch, 1] class indices (float32), `pred` is [batch, outputs].
 * fromLogits: PyTorch's CrossEntropyLoss (gradient softmax(z) - onehot) and BCEWithLogitsLoss
 * (gradient sigmoid(z) - t). Otherwise `pred` holds the model's probabilities and the losses are
 * tfjs-layers' (src/losses.ts) categoricalCrossentropy (p / sum(p), clipped, -log p[y]) and
 * binaryCrossentropy (p clipped, -(t log p + (1 - t) log(1 - p))); the gradient goes back through
 * the model's own softmax/sigmoid op.
 */
function emitClassificationLoss(
  g: GraphBuilder,
  loss: LossSpec,
  pred: string,
  target: string,
  outputs: number,
) {
  const scale = perElement(g, target)
  const fromLogits = loss.fromLogits !== false
  if (loss.name === 'binary_cross_entropy') {
    const t = target
    if (fromLogits) {
      // max(z, 0) - z t + log(1 + exp(-|z|)); ORT's Softplus computes the last term with log1p.
      const softplus = g.node('Softplus', [g.node('Neg', [g.node('Abs', [pred])])])
      const elementwise = g.node('Add', [
        g.node('Sub', [g.node('Relu', [pred]), g.node('Mul', [pred, t])]),
        softplus,
      ])
      return { value: mean(g, elementwise), grad: g.node('Sub', [g.node('Sigmoid', [pred]), t]), scale }
    }
    const { clipped: p, pass } = clipProbabilities(g, pred)
    const q = g.node('Sub', [g.scalar(1), p])
    const logLikelihood = g.node('Add', [
      g.node('Mul', [t, g.node('Log', [p])]),
      g.node('Mul', [g.node('Sub', [g.scalar(1), t]), g.node('Log', [q])]),
    ])
    // d/dp of -(t log p + (1 - t) log(1 - p)) is (p - t) / (p (1 - p)), inside the clip interval.
    const grad = g.node('Mul', [pass, g.node('Div', [g.node('Sub', [p, t]), g.node('Mul', [p, q])])])
    return { value: mean(g, g.node('Neg', [logLikelihood])), grad, scale }
  }
  // onehot [batch, classes]: the labels (exact small integers in float32) against the row 0..K-1.
  const classes = g.floats(Array.from({ length: outputs }, (_, k) => k))
  const onehot = g.node('Cast', [g.node('Equal', [target, classes])], { to: { int: FLOAT } })
  /** -sum(onehot * logp) over the class axis, averaged over the rows. */
  const nll = (logp: string) =>
    mean(
      g,
      g.node('Neg', [
        g.node('ReduceSum', [g.node('Mul', [onehot, logp]), classAxis(g)], { keepdims: { int: 0 } }),
      ]),
    )
  if (fromLogits) {
    const logp = g.node('LogSoftmax', [pred], { axis: { int: SOFTMAX_AXIS } })
    return { value: nll(logp), grad: g.node('Sub', [g.node('Exp', [logp]), onehot]), scale }
  }
  const sum = g.node('ReduceSum', [pred, classAxis(g)], { keepdims: { int: 1 } })
  const q = g.node('Div', [pred, sum])
  const { clipped, pass } = clipProbabilities(g, q)
  // dL/dq = -onehot / q inside the interval; through q = p / sum(p): dL/dp = (dL/dq - sum(dL/dq q)) / sum(p).
  const dq = g.node('Neg', [g.node('Div', [g.node('Mul', [onehot, pass]), clipped])])
  const dot = g.node('ReduceSum', [g.node('Mul', [dq, q]), classAxis(g)], { keepdims: { int: 1 } })
  const grad = g.node('Div', [g.node('Sub', [dq, dot]), sum])
  return { value: nll(g.node('Log', [clipped])), grad, scale }
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
    case 'softmax': {
      // dz = p * (g - sum(g * p)) over the class axis (PyTorch's _softmax_backward_data).
      const dot = g.node('ReduceSum', [g.node('Mul', [grad, t.output]), classAxis(g)], {
        keepdims: { int: 1 },
      })
      return g.node('Mul', [t.output, g.node('Sub', [grad, dot])])
    }
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
 * Training graph: x [batch, inputs], y [batch, outputs] (regression) or [batch, 1] class indices
 * (classification) and the parameters in; `loss` (scalar) and each parameter's gradient
 * (`dense0.weight.grad`, ...) out.
 */
export function buildTrainingGraph(net: Net, loss: LossSpec): Uint8Array {
  const g = new GraphBuilder('train')
  const outputs = outputsOf(net)
  g.input('x', batchDims(net.inputs))
  g.input('y', batchDims(classificationLoss(loss.name) ? 1 : outputs))
  paramInputs(g, net)
  const forward = emitForward(g, net, 'x')
  const l = emitLoss(g, loss, forward.y, 'y', outputs)
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
  return g.encode(
    `dualfit training graph, ${loss.name} loss${loss.fromLogits === false ? ' on probabilities' : ''}`,
  )
}
