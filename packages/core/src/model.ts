/** The model layout every backend shares: Dense layers, kernels [inputs, units] row-major. */
import type { LayerWeights, TrainedModel } from './backend.js'
import { UserError } from './errors.js'
import type { LayerSpec } from './spec.js'

/** [rows, cols] row-major -> [cols, rows] row-major (PyTorch keeps Linear weights as [out, in]). */
export function transpose(data: ArrayLike<number>, rows: number, cols: number): Float32Array {
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
 * Why weights cannot make a working model file, or null: a model stores float32, so NaN, Infinity
 * and values past float32's range (which it turns into Infinity) are refused alike (export, train --save, report).
 */
export function weightsProblem(
  weights: readonly { kernel: ArrayLike<number>; bias: ArrayLike<number> }[],
): string | null {
  let past: number | null = null
  for (const w of weights) {
    for (const values of [w.kernel, w.bias]) {
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as number
        if (!Number.isFinite(v)) return 'NaN or Infinity'
        if (!Number.isFinite(Math.fround(v))) past ??= v
      }
    }
  }
  return past === null ? null : `${past}, past float32's range (3.4e38)`
}

/** Throws a UserError unless `x` holds whole rows of `width` values; returns the row count. */
export function rowsOf(x: ArrayLike<number>, width: number, what = 'x'): number {
  if (x.length === 0 || x.length % width !== 0) {
    throw new UserError(`${what}: expected rows of ${width} value(s), got ${x.length} value(s)`)
  }
  return x.length / width
}

const ACTIVATE: Record<Exclude<LayerSpec['activation'], 'softmax'>, (z: number) => number> = {
  linear: (z) => z,
  relu: (z) => Math.max(z, 0),
  tanh: Math.tanh,
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
}

/** exp(z - max) / sum: a row's softmax without overflow. */
export function softmax(z: readonly number[]): number[] {
  const top = Math.max(...z)
  const e = z.map((v) => Math.exp(v - top))
  const sum = e.reduce((a, b) => a + b, 0)
  return e.map((v) => v / sum)
}

/** A layer's weights as forwardRow reads them: a backend's Float32Arrays or a results file's arrays. */
interface DenseLayer {
  inputs: number
  units: number
  kernel: ArrayLike<number>
  bias: ArrayLike<number>
}

/**
 * The model's outputs for one row, in float64: the harness's own view of a backend's weights while
 * they train (time to quality), without a call into the backend per epoch, and the charts' curve
 * of a saved model without any runtime.
 */
export function forwardRow(
  model: { layers: readonly LayerSpec[]; weights: readonly DenseLayer[] },
  row: ArrayLike<number>,
): number[] {
  let h = Array.from(row)
  model.weights.forEach((w, k) => {
    const { activation } = model.layers[k] as LayerSpec
    const out: number[] = []
    for (let u = 0; u < w.units; u++) {
      let z = w.bias[u] as number
      for (let i = 0; i < w.inputs; i++) z += (h[i] as number) * (w.kernel[i * w.units + u] as number)
      out.push(z)
    }
    h = activation === 'softmax' ? softmax(out) : out.map(ACTIVATE[activation])
  })
  return h
}

/**
 * forwardRow over n rows of x at once (row-major out, float64): the harness's per-epoch look at a
 * classifier's accuracy, one layer at a time so that the inner loop runs over contiguous weights.
 */
export function forwardRows(
  model: { layers: readonly LayerSpec[]; weights: readonly DenseLayer[] },
  x: ArrayLike<number>,
  n: number,
): Float64Array {
  let h: ArrayLike<number> = x
  let width = model.weights[0]?.inputs ?? 0
  model.weights.forEach((w, k) => {
    const { activation } = model.layers[k] as LayerSpec
    const out = new Float64Array(n * w.units)
    for (let r = 0; r < n; r++) {
      const row = r * w.units
      for (let u = 0; u < w.units; u++) out[row + u] = w.bias[u] as number
      for (let i = 0; i < w.inputs; i++) {
        const v = h[r * width + i] as number
        if (v === 0) continue
        const at = i * w.units
        for (let u = 0; u < w.units; u++)
          out[row + u] = (out[row + u] as number) + v * (w.kernel[at + u] as number)
      }
      if (activation === 'softmax') {
        const p = softmax(Array.from(out.subarray(row, row + w.units)))
        out.set(p, row)
      } else if (activation !== 'linear') {
        const f = ACTIVATE[activation]
        for (let u = 0; u < w.units; u++) out[row + u] = f(out[row + u] as number)
      }
    }
    h = out
    width = w.units
  })
  return h instanceof Float64Array ? h : Float64Array.from(h)
}
