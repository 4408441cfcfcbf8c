import type { LayerWeights } from './backend.js'
import { Rng } from './rng.js'
import type { InitConvention, LayerSpec } from './spec.js'

/**
 * Initial weights made once, here, so that every backend starts from the same numbers.
 * Values are rounded to float32, the precision every engine trains in.
 *  - keras: glorot_uniform kernel, zero bias (Keras' Dense defaults)
 *  - torch: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for kernel and bias (nn.Linear.reset_parameters)
 *  - tfjs:  glorotNormal kernel, zero bias; TF.js draws it truncated at 2 sd, so do we
 */
export function initialWeights(
  convention: Exclude<InitConvention, 'framework'>,
  inputs: number,
  layers: LayerSpec[],
  seed: number,
  ...stream: (string | number)[]
): LayerWeights[] {
  const rng = new Rng(seed, 'init', convention, ...stream)
  let fanIn = inputs
  return layers.map((layer) => {
    const fanOut = layer.units
    const kernel = new Float32Array(fanIn * fanOut)
    const bias = new Float32Array(fanOut)
    if (convention === 'torch') {
      const bound = 1 / Math.sqrt(fanIn)
      // PyTorch keeps weight as [out, in]; fill in that order, store transposed.
      for (let o = 0; o < fanOut; o++)
        for (let i = 0; i < fanIn; i++) kernel[i * fanOut + o] = rng.uniform(-bound, bound)
      for (let o = 0; o < fanOut; o++) bias[o] = rng.uniform(-bound, bound)
    } else if (convention === 'keras') {
      const limit = Math.sqrt(6 / (fanIn + fanOut))
      for (let j = 0; j < kernel.length; j++) kernel[j] = rng.uniform(-limit, limit)
    } else {
      const sd = Math.sqrt(2 / (fanIn + fanOut))
      for (let j = 0; j < kernel.length; j++) {
        let v: number
        do v = rng.normal()
        while (Math.abs(v) > 2)
        kernel[j] = v * sd
      }
    }
    const w: LayerWeights = { inputs: fanIn, units: fanOut, kernel, bias }
    fanIn = fanOut
    return w
  })
}

export function cloneWeights(weights: LayerWeights[]): LayerWeights[] {
  return weights.map((w) => ({ ...w, kernel: w.kernel.slice(), bias: w.bias.slice() }))
}

/**
 * Every nonzero value moved up to the next float32 (one unit in the last place): a rounding-level
 * change, for measuring how far training amplifies rounding (parity's calibration). A zero stays
 * zero: its next float32 is a denormal, which engines may flush.
 */
export function ulpUp(xs: Float32Array): Float32Array {
  const bits = new Int32Array(1)
  const f = new Float32Array(bits.buffer)
  return xs.map((x) => {
    if (x === 0 || !Number.isFinite(x)) return x
    f[0] = x
    // float32 bits are sign and magnitude: a larger magnitude when positive, a smaller when negative.
    bits[0] = (bits[0] as number) + (x > 0 ? 1 : -1)
    return f[0] as number
  })
}

/** ulpUp of every initial weight. */
export function ulpWeights(weights: LayerWeights[]): LayerWeights[] {
  return weights.map((w) => ({ ...w, kernel: ulpUp(w.kernel), bias: ulpUp(w.bias) }))
}
