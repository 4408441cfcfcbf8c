/**
 * What a failed check throws, and comparisons that explain themselves: where the worst difference
 * is, and a guess at why.
 */
import { type LayerSpec, type LayerWeights, transpose } from '@dualfit/core'
import { referenceForward, relativeError, type Weights64 } from './reference.js'

/** What a failed check throws; the message says what the backend did wrong. */
export class ConformanceError extends Error {
  override name = 'ConformanceError'
}

export function fail(message: string, cause?: unknown): never {
  throw new ConformanceError(message, cause === undefined ? undefined : { cause })
}

export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** Enough significant digits that two different numbers print differently. */
export function pair(got: number, want: number): [string, string] {
  for (let digits = 4; digits < 9; digits++) {
    const [a, b] = [got.toPrecision(digits), want.toPrecision(digits)]
    if (a !== b) return [a, b]
  }
  return [got.toPrecision(9), want.toPrecision(9)]
}

export const sci = (v: number) => v.toExponential(1)

/** A scalar's relative error with the same floor as relativeError's. */
export const scalarError = (got: number, want: number) => relativeError([got], [want])

export interface Mismatch {
  /** e.g. 'layer 0 kernel[1]' */
  where: string
  got: number
  want: number
  error: number
}

type AnyWeights = { kernel: ArrayLike<number>; bias: ArrayLike<number> }

/** The tensor with the largest relative error, at its largest absolute difference. */
export function worst(got: readonly AnyWeights[], want: readonly AnyWeights[]): Mismatch {
  let out: Mismatch = { where: 'nothing', got: 0, want: 0, error: 0 }
  want.forEach((w, k) => {
    const g = got[k] as AnyWeights
    for (const part of ['kernel', 'bias'] as const) {
      const [a, b] = [g[part], w[part]]
      const error = relativeError(a, b)
      if (!(error > out.error) && out.where !== 'nothing') continue
      let at = 0
      for (let i = 0; i < b.length; i++) {
        const d = Math.abs((a[i] as number) - (b[i] as number))
        if (!(d <= Math.abs((a[at] as number) - (b[at] as number)))) at = i
      }
      out = { where: `layer ${k} ${part}[${at}]`, got: a[at] as number, want: b[at] as number, error }
    }
  })
  return out
}

/** The largest relative error over all tensors (worst's, without where). */
export const errorOf = (got: readonly AnyWeights[], want: readonly AnyWeights[]) => worst(got, want).error

/** `reference` names the other side with its verb, e.g. 'the reference is'. */
export function describeMismatch(m: Mismatch, reference = 'the reference is'): string {
  const [g, w] = pair(m.got, m.want)
  return `${m.where} is ${g}, ${reference} ${w} (relative error ${sci(m.error)})`
}

/** null when `weights` has the shape of the model; otherwise what is off. */
export function shapeProblem(weights: unknown, inputs: number, layers: readonly LayerSpec[]): string | null {
  if (!Array.isArray(weights)) return `weights is ${typeof weights}, not an array of layers`
  if (weights.length !== layers.length)
    return `weights holds ${weights.length} layer(s), the model has ${layers.length}`
  let fanIn = inputs
  for (const [k, layer] of layers.entries()) {
    const w = weights[k] as Partial<LayerWeights>
    if (!(w.kernel instanceof Float32Array) || !(w.bias instanceof Float32Array))
      return `layer ${k}: kernel and bias must be Float32Arrays`
    if (w.inputs !== fanIn || w.units !== layer.units)
      return `layer ${k} says inputs ${w.inputs}, units ${w.units}; the model has inputs ${fanIn}, units ${layer.units}`
    if (w.kernel.length !== fanIn * layer.units || w.bias.length !== layer.units)
      return `layer ${k} has ${w.kernel.length} kernel and ${w.bias.length} bias values; [${fanIn}, ${layer.units}] needs ${fanIn * layer.units} and ${layer.units}`
    fanIn = layer.units
  }
  return null
}

/** Kernels reinterpreted as [units, inputs] (PyTorch's layout), to recognise a layout mix-up. */
const transposed = (ws: readonly LayerWeights[]): LayerWeights[] =>
  ws.map((w) => ({ ...w, kernel: transpose(w.kernel, w.units, w.inputs) }))

/**
 * A guess at why an update differs from the reference, from the step each took from `start`:
 * no step, the opposite direction, the right direction but another size, or another direction.
 */
export function diagnoseStep(
  start: readonly AnyWeights[],
  got: readonly LayerWeights[],
  want: readonly Weights64[],
  tolerance: number,
): string {
  if (errorOf(transposed(got), want) <= tolerance)
    return 'the kernels are transposed: the layout is [inputs, units] row-major (Keras), not [units, inputs] (PyTorch)'
  let dot = 0
  let gg = 0
  let ww = 0
  let anyNaN = false
  want.forEach((w, k) => {
    const [g, s] = [got[k] as LayerWeights, start[k] as AnyWeights]
    for (const part of ['kernel', 'bias'] as const)
      for (let i = 0; i < w[part].length; i++) {
        const dg = (g[part][i] as number) - (s[part][i] as number)
        const dw = (w[part][i] as number) - (s[part][i] as number)
        anyNaN ||= Number.isNaN(dg)
        dot += dg * dw
        gg += dg * dg
        ww += dw * dw
      }
  })
  if (anyNaN) return 'the weights hold NaN'
  if (Math.sqrt(gg) < 1e-3 * Math.sqrt(ww))
    return 'the weights did not move: was the update applied to the weights train() returns?'
  const cos = dot / Math.sqrt(gg * ww)
  if (cos < -0.9) return "the update goes the opposite way; is the gradient's sign flipped?"
  const scale = dot / ww
  if (cos > 0.999 && Math.abs(scale - 1) < 0.01)
    return 'the update agrees with the reference to within 1%: if the engine computes in lower precision (e.g. TF32 on a GPU), raise options.tolerance'
  if (cos > 0.99)
    return `the update points the right way but is ${scale.toPrecision(3)}x the reference's; check the learning rate, the loss's mean over all elements and the optimizer's formula`
  return `the update's direction differs from the reference's (cosine ${cos.toFixed(2)}); check the gradients of each layer, activation and loss`
}

/** Same as diagnoseStep, for predictions: a transposed-kernel reading gives itself away. */
export function diagnoseForward(
  model: { inputs: number; layers: readonly LayerSpec[]; weights: readonly LayerWeights[] },
  x: Float32Array,
  got: ArrayLike<number>,
  tolerance: number,
): string {
  const alt = referenceForward({ ...model, weights: transposed(model.weights) }, x)
  return relativeError(got, alt) <= tolerance
    ? '; it reads kernels as [units, inputs] (PyTorch), but the layout is [inputs, units] row-major (Keras)'
    : ''
}

/** Row and column of the largest difference in row-major outputs. */
export function worstCell(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  width: number,
  reference = 'the reference is',
): string {
  let at = 0
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs((got[i] as number) - (want[i] as number))
    if (!(d <= Math.abs((got[at] as number) - (want[at] as number)))) at = i
  }
  const [g, w] = pair(got[at] as number, want[at] as number)
  return `row ${Math.floor(at / width)} output ${at % width} is ${g}, ${reference} ${w} (relative error ${sci(relativeError(got, want))})`
}

/** Bit-for-bit equality of two weight sets; the first difference, or null. */
export function firstBitDifference(a: readonly LayerWeights[], b: readonly LayerWeights[]): string | null {
  for (const [k, w] of a.entries()) {
    const v = b[k] as LayerWeights
    for (const part of ['kernel', 'bias'] as const) {
      const [x, y] = [new Uint32Array(w[part].slice().buffer), new Uint32Array(v[part].slice().buffer)]
      for (let i = 0; i < x.length; i++)
        if (x[i] !== y[i])
          return `layer ${k} ${part}[${i}] is ${(w[part][i] as number).toPrecision(9)} then ${(v[part][i] as number).toPrecision(9)}`
    }
  }
  return null
}
