/** Float64 references for the focused tests: Dense forward and backward (MSE), one Adam step. */
import type { LayerSpec, LayerWeights, OptimizerSpec } from '@dualfit/core'

export interface Net64 {
  inputs: number
  layers: LayerSpec[]
  /** Keras layout: kernel [inputs, units] row-major. */
  weights: { kernel: number[]; bias: number[] }[]
}

export const toNet64 = (inputs: number, layers: LayerSpec[], weights: LayerWeights[]): Net64 => ({
  inputs,
  layers,
  weights: weights.map((w) => ({ kernel: Array.from(w.kernel), bias: Array.from(w.bias) })),
})

const f = (act: LayerSpec['activation'], z: number) =>
  act === 'relu'
    ? Math.max(0, z)
    : act === 'tanh'
      ? Math.tanh(z)
      : act === 'sigmoid'
        ? 1 / (1 + Math.exp(-z))
        : z
const df = (act: LayerSpec['activation'], a: number) =>
  act === 'relu' ? (a > 0 ? 1 : 0) : act === 'tanh' ? 1 - a * a : act === 'sigmoid' ? a * (1 - a) : 1

/** Each layer's activations for rows x [n, inputs]; [0] is x itself, the last is the output. */
export function forward64(net: Net64, x: ArrayLike<number>, n: number): number[][] {
  const acts: number[][] = [Array.from(x)]
  let width = net.inputs
  net.layers.forEach((layer, k) => {
    const { kernel, bias } = net.weights[k] as Net64['weights'][number]
    const prev = acts[acts.length - 1] as number[]
    const out: number[] = []
    for (let r = 0; r < n; r++)
      for (let u = 0; u < layer.units; u++) {
        let z = bias[u] as number
        for (let i = 0; i < width; i++)
          z += (prev[r * width + i] as number) * (kernel[i * layer.units + u] as number)
        out.push(f(layer.activation, z))
      }
    acts.push(out)
    width = layer.units
  })
  return acts
}

/** Mean squared error over all n * outputs values and its gradient for every parameter. */
export function mseGrad64(net: Net64, x: ArrayLike<number>, y: ArrayLike<number>, n: number) {
  const acts = forward64(net, x, n)
  const out = acts[acts.length - 1] as number[]
  let loss = 0
  out.forEach((o, i) => {
    loss += (o - (y[i] as number)) ** 2
  })
  loss /= out.length
  let da = out.map((o, i) => (2 * (o - (y[i] as number))) / out.length)
  const grads: Net64['weights'] = []
  for (let k = net.layers.length - 1; k >= 0; k--) {
    const layer = net.layers[k] as LayerSpec
    const units = layer.units
    const width = k === 0 ? net.inputs : (net.layers[k - 1] as LayerSpec).units
    const a = acts[k + 1] as number[]
    const prev = acts[k] as number[]
    const { kernel } = net.weights[k] as Net64['weights'][number]
    const delta = da.map((d, i) => d * df(layer.activation, a[i] as number))
    const gk = new Array<number>(width * units).fill(0)
    const gb = new Array<number>(units).fill(0)
    const dprev = new Array<number>(n * width).fill(0)
    for (let r = 0; r < n; r++)
      for (let u = 0; u < units; u++) {
        const d = delta[r * units + u] as number
        gb[u] = (gb[u] as number) + d
        for (let i = 0; i < width; i++) {
          gk[i * units + u] = (gk[i * units + u] as number) + (prev[r * width + i] as number) * d
          dprev[r * width + i] = (dprev[r * width + i] as number) + d * (kernel[i * units + u] as number)
        }
      }
    grads[k] = { kernel: gk, bias: gb }
    da = dprev
  }
  return { loss, grads }
}

/** torch.optim.Adam's first step (t = 1, zero moments) in float64. */
export function adamFirstStep64(net: Net64, grads: Net64['weights'], opt: OptimizerSpec): Net64 {
  const eps = opt.eps ?? 1e-8
  const step = (p: number, g: number) => {
    const m = (1 - opt.beta1) * g
    const v = (1 - opt.beta2) * g * g
    return p - (opt.lr * (m / (1 - opt.beta1))) / (Math.sqrt(v / (1 - opt.beta2)) + eps)
  }
  return {
    ...net,
    weights: net.weights.map((w, k) => ({
      kernel: w.kernel.map((p, i) => step(p, grads[k]?.kernel[i] as number)),
      bias: w.bias.map((p, i) => step(p, grads[k]?.bias[i] as number)),
    })),
  }
}
