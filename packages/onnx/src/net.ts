import type { Activation, LayerSpec } from '@dualfit/core'
import { type Attr, BATCH, type GraphBuilder } from './proto.js'

/** An activation as an op of its own (PyTorch's nn.ReLU etc.), 'linear' excluded. */
export type ActivationOp = Exclude<Activation, 'linear'>
export const ACTIVATION_OPS: Record<ActivationOp, string> = {
  relu: 'Relu',
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
  softmax: 'Softmax',
}
/** Softmax over the class axis of [batch, classes]: axis 1, as torch.onnx.export writes nn.Softmax(dim=1). */
export const SOFTMAX_AXIS = 1

/** One step of a feed-forward chain: y = x W^T + b (W is [units, inputs], PyTorch's layout), or an activation. */
export type NetOp = { op: 'linear'; inputs: number; units: number } | { op: ActivationOp }

/** A chain of ops from x [batch, inputs] to y [batch, outputs]: what the graph builders take. */
export interface Net {
  inputs: number
  ops: NetOp[]
}

/** Shape of x and y: the batch axis is symbolic, so one session serves any batch size. */
export const batchDims = (width: number) => [BATCH, width]

/** Graph names of the k-th linear op's parameters (they are graph inputs or initializers). */
export const paramName = (k: number, p: 'weight' | 'bias') => `dense${k}.${p}`
export const gradName = (param: string) => `${param}.grad`

/** The chain a Dense-layer list stands for: each layer is a linear op plus its activation, if any. */
export function netOf(inputs: number, layers: LayerSpec[]): Net {
  const ops: NetOp[] = []
  let width = inputs
  for (const l of layers) {
    ops.push({ op: 'linear', inputs: width, units: l.units })
    if (l.activation !== 'linear') ops.push({ op: l.activation })
    width = l.units
  }
  return { inputs, ops }
}

export function outputsOf(net: Net): number {
  let width = net.inputs
  for (const o of net.ops) if (o.op === 'linear') width = o.units
  return width
}

/** The linear ops' shapes in order, each with its parameter names. */
export function linears(net: Net) {
  return net.ops
    .filter((o) => o.op === 'linear')
    .map((o, k) => ({ ...o, weight: paramName(k, 'weight'), bias: paramName(k, 'bias') }))
}

/** Declares every parameter as a graph input, so one session serves weights that change each step. */
export function paramInputs(g: GraphBuilder, net: Net): void {
  for (const l of linears(net)) {
    g.input(l.weight, [l.units, l.inputs])
    g.input(l.bias, [l.units])
  }
}

/** What the forward pass leaves for the backward pass: each op's input and output value names. */
export interface Trace {
  op: NetOp
  input: string
  output: string
  /** A linear op's parameter names. */
  params?: { weight: string; bias: string }
}

/**
 * Emits the forward pass from `x`: Gemm(transB=1) per linear op (what torch.onnx.export writes
 * for nn.Linear), then Relu/Tanh/Sigmoid/Softmax. Export, prediction and training share it, so an exported
 * model computes exactly what training saw.
 */
export function emitForward(g: GraphBuilder, net: Net, x: string): { y: string; trace: Trace[] } {
  const trace: Trace[] = []
  let h = x
  let k = 0
  for (const op of net.ops) {
    const input = h
    if (op.op === 'linear') {
      const params = { weight: paramName(k, 'weight'), bias: paramName(k, 'bias') }
      h = g.node('Gemm', [h, params.weight, params.bias], { transB: { int: 1 } })
      trace.push({ op, input, output: h, params })
      k++
    } else {
      const attrs: Record<string, Attr> = op.op === 'softmax' ? { axis: { int: SOFTMAX_AXIS } } : {}
      h = g.node(ACTIVATION_OPS[op.op], [h], attrs)
      trace.push({ op, input, output: h })
    }
  }
  return { y: h, trace }
}
