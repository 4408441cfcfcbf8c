import type { DataSplit, TrainedModel } from './backend.js'

/** Per-column affine maps z = (v - mean) / scale, fitted on a training part (scikit-learn's StandardScaler). */
export interface Scaler {
  x: { mean: Float64Array; scale: Float64Array } | null
  y: { mean: Float64Array; scale: Float64Array } | null
}

function fitColumns(values: Float32Array, n: number, width: number) {
  const mean = new Float64Array(width)
  const scale = new Float64Array(width)
  for (let r = 0; r < n; r++)
    for (let c = 0; c < width; c++) mean[c] = (mean[c] as number) + (values[r * width + c] as number)
  for (let c = 0; c < width; c++) mean[c] = (mean[c] as number) / n
  for (let r = 0; r < n; r++)
    for (let c = 0; c < width; c++) {
      const d = (values[r * width + c] as number) - (mean[c] as number)
      scale[c] = (scale[c] as number) + d * d
    }
  // Population sd (ddof 0) as StandardScaler; a constant column keeps scale 1 instead of dividing by 0.
  for (let c = 0; c < width; c++) scale[c] = Math.sqrt((scale[c] as number) / n) || 1
  return { mean, scale }
}

export function fitScaler(d: DataSplit, which: { x: boolean; y: boolean }): Scaler {
  return {
    x: which.x ? fitColumns(d.x, d.n, d.inputs) : null,
    y: which.y ? fitColumns(d.y, d.n, d.outputs) : null,
  }
}

function applyColumns(values: Float32Array, width: number, m: NonNullable<Scaler['x']>): Float32Array {
  const out = new Float32Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const c = i % width
    out[i] = ((values[i] as number) - (m.mean[c] as number)) / (m.scale[c] as number)
  }
  return out
}

/** The split in the scaler's units (the same arrays when nothing is scaled). */
export function scaleSplit(d: DataSplit, s: Scaler): DataSplit {
  return {
    ...d,
    x: s.x ? applyColumns(d.x, d.inputs, s.x) : d.x,
    y: s.y ? applyColumns(d.y, d.outputs, s.y) : d.y,
  }
}

/**
 * The same function on raw units: the input scaling is folded into the first layer and the output
 * scaling into the last (linear) one, so predict and export need no extra step. Computed in float64.
 */
export function unscaleModel(model: TrainedModel, s: Scaler): TrainedModel {
  if (!s.x && !s.y) return model
  const weights = model.weights.map((w) => ({
    ...w,
    kernel: Float64Array.from(w.kernel),
    bias: Float64Array.from(w.bias),
  }))
  const first = weights[0]
  if (s.x && first) {
    // z = ((x - m) / s) K + b  =  x (K / s) + (b - (m / s) K)
    for (let i = 0; i < first.inputs; i++) {
      const inv = 1 / (s.x.scale[i] as number)
      const shift = (s.x.mean[i] as number) * inv
      for (let j = 0; j < first.units; j++) {
        const k = first.kernel[i * first.units + j] as number
        first.bias[j] = (first.bias[j] as number) - shift * k
        first.kernel[i * first.units + j] = k * inv
      }
    }
  }
  const last = weights[weights.length - 1]
  if (s.y && last) {
    // y = z * s + m on each output column.
    for (let j = 0; j < last.units; j++) {
      const scale = s.y.scale[j] as number
      for (let i = 0; i < last.inputs; i++) {
        const at = i * last.units + j
        last.kernel[at] = (last.kernel[at] as number) * scale
      }
      last.bias[j] = (last.bias[j] as number) * scale + (s.y.mean[j] as number)
    }
  }
  return {
    ...model,
    weights: weights.map((w) => ({
      ...w,
      kernel: Float32Array.from(w.kernel),
      bias: Float32Array.from(w.bias),
    })),
  }
}
