/** Float64 reference implementations the tests compare ORT against. */
import { classificationLoss, type LossSpec, PROBABILITY_CLIP, Rng } from '@dualfit/core'
import type { Net } from '../src/index.js'

/** Parameters in graph layout: per linear op, weight [units, inputs] and bias [units]. */
export type Params = { weight: number[]; bias: number[] }[]

export function randomParams(net: Net, seed: number): Params {
  const rng = new Rng(seed, 'test-params')
  const out: Params = []
  for (const op of net.ops) {
    if (op.op !== 'linear') continue
    const draw = (n: number) => Array.from({ length: n }, () => Math.fround(rng.uniform(-1, 1)))
    out.push({ weight: draw(op.units * op.inputs), bias: draw(op.units) })
  }
  return out
}

export function randomData(n: number, width: number, seed: number, scale = 1): number[] {
  const rng = new Rng(seed, 'test-data')
  return Array.from({ length: n * width }, () => Math.fround(rng.uniform(-scale, scale)))
}

/** n class indices in 0..classes-1. */
export function randomLabels(n: number, classes: number, seed: number): number[] {
  const rng = new Rng(seed, 'test-labels')
  return Array.from({ length: n }, () => Math.min(classes - 1, Math.floor(rng.uniform(0, classes))))
}

export function forward64(net: Net, params: Params, x: number[]): number[] {
  let h = x
  let width = net.inputs
  let k = 0
  for (const op of net.ops) {
    if (op.op === 'linear') {
      const { weight, bias } = params[k++] as Params[number]
      const rows = h.length / width
      const out: number[] = []
      for (let r = 0; r < rows; r++) {
        for (let u = 0; u < op.units; u++) {
          let s = bias[u] as number
          for (let i = 0; i < width; i++)
            s += (h[r * width + i] as number) * (weight[u * width + i] as number)
          out.push(s)
        }
      }
      h = out
      width = op.units
    } else if (op.op === 'softmax') {
      const out: number[] = []
      for (let r = 0; r < h.length / width; r++) out.push(...softmax64(h.slice(r * width, (r + 1) * width)))
      h = out
    } else {
      const f = {
        relu: (v: number) => Math.max(0, v),
        tanh: Math.tanh,
        sigmoid: (v: number) => 1 / (1 + Math.exp(-v)),
      }[op.op]
      h = h.map(f)
    }
  }
  return h
}

function softmax64(z: number[]): number[] {
  const m = Math.max(...z)
  const e = z.map((v) => Math.exp(v - m))
  const sum = e.reduce((a, b) => a + b, 0)
  return e.map((v) => v / sum)
}

/** The clip interval as the graph holds it: float32 bounds. */
export const CLIP = [Math.fround(PROBABILITY_CLIP), Math.fround(1 - PROBABILITY_CLIP)] as const
const clip = (p: number) => Math.min(Math.max(p, CLIP[0]), CLIP[1])

/**
 * The classification losses of core's design, float64: `pred` [rows, outputs], `target` one class
 * index per row.
 */
function classLoss64(loss: LossSpec, pred: number[], target: number[]): number {
  const outputs = pred.length / target.length
  let s = 0
  target.forEach((t, r) => {
    const row = pred.slice(r * outputs, (r + 1) * outputs)
    const z = row[0] as number
    if (loss.name === 'binary_cross_entropy') {
      if (loss.fromLogits) s += Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)))
      else s -= t * Math.log(clip(z)) + (1 - t) * Math.log(1 - clip(z))
    } else if (loss.fromLogits) {
      const m = Math.max(...row)
      s += m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) - (row[t] as number)
    } else {
      s -= Math.log(clip((row[t] as number) / row.reduce((a, b) => a + b, 0)))
    }
  })
  return s / target.length
}

export function loss64(loss: LossSpec, pred: number[], target: number[]): number {
  if (classificationLoss(loss.name)) return classLoss64(loss, pred, target)
  let s = 0
  pred.forEach((p, i) => {
    const d = p - (target[i] as number)
    const a = Math.abs(d)
    if (loss.name === 'mse') s += d * d
    else if (loss.name === 'mae') s += a
    else s += a < loss.delta ? 0.5 * d * d : loss.delta * (a - 0.5 * loss.delta)
  })
  return s / pred.length
}

/** Central finite differences of the float64 loss with respect to every parameter. */
export function numericGrads(
  net: Net,
  loss: LossSpec,
  params: Params,
  x: number[],
  y: number[],
  h = 1e-6,
): Params {
  const f = () => loss64(loss, forward64(net, params, x), y)
  return params.map((p) => {
    const diff = (arr: number[]) =>
      arr.map((v, i) => {
        arr[i] = v + h
        const up = f()
        arr[i] = v - h
        const down = f()
        arr[i] = v
        return (up - down) / (2 * h)
      })
    return { weight: diff(p.weight), bias: diff(p.bias) }
  })
}

/** max |a - b| / max |b|: the relative error of a whole gradient tensor. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0
  let den = 0
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs((a[i] as number) - (b[i] as number)))
    den = Math.max(den, Math.abs(b[i] as number))
  }
  return den === 0 ? num : num / den
}
