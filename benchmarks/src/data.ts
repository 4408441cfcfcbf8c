/**
 * The scaling suite's data: x uniform in [0, 20] (seeded), y = 3.28084 x, in float32; for a
 * classification workload x uniform in [-1, 1] and y the class whose seeded linear score is highest.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Rng } from '@dualfit/core'
import { type Workload, xColumns } from './workloads.js'

export const FEET_PER_METER = 3.28084

/** n rows, the same for a given (n, seed) on every machine; values rounded to float32. */
export function makeData(n: number, seed = 0): { x: Float32Array; y: Float32Array } {
  const rng = new Rng(seed, 'bench-scaling-data', n)
  const x = new Float32Array(n)
  const y = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    x[i] = rng.uniform(0, 20)
    y[i] = FEET_PER_METER * (x[i] as number)
  }
  return { x, y }
}

/**
 * n rows of `inputs` values uniform in [-1, 1] (row-major) and y in 0..classes-1: the argmax of
 * x W for a seeded W with standard normal entries, so an MLP can learn it; the same on every machine.
 */
export function makeClassification(
  n: number,
  inputs: number,
  classes: number,
  seed = 0,
): { x: Float32Array; y: Float32Array } {
  const rng = new Rng(seed, 'bench-classification-data', n)
  const w = Float64Array.from({ length: inputs * classes }, () => rng.normal())
  const x = Float32Array.from({ length: n * inputs }, () => rng.uniform(-1, 1))
  const y = new Float32Array(n)
  for (let r = 0; r < n; r++) {
    let best = Number.NEGATIVE_INFINITY
    for (let c = 0; c < classes; c++) {
      let score = 0
      for (let i = 0; i < inputs; i++) score += (x[r * inputs + i] as number) * (w[i * classes + c] as number)
      if (score > best) [best, y[r]] = [score, c]
    }
  }
  return { x, y }
}

/**
 * CSV with a header row (`columns`, then y), x row-major with columns.length values a row; each
 * float32 printed in the shortest form that reads back to the same float32.
 */
export function csvText(x: Float32Array, y: Float32Array, columns = ['x']): string {
  const k = columns.length
  const lines = new Array<string>(y.length + 1)
  lines[0] = [...columns, 'y'].join(',')
  for (let i = 0; i < y.length; i++) lines[i + 1] = `${x.subarray(i * k, (i + 1) * k).join(',')},${y[i]}`
  return `${lines.join('\n')}\n`
}

/**
 * Writes a workload's data (n rows) twice into `dir`: a CSV for dualfit (read by @dualfit/data
 * through the spec) and the raw float32 values (x row-major, then y) for PyTorch and the bare loops
 * (np.fromfile, no parsing in their timings or RSS).
 */
export function writeData(
  dir: string,
  n: number,
  w: Pick<Workload, 'inputs' | 'classes'> = { inputs: 1, classes: null },
): { csv: string; f32: string } {
  const { x, y } = w.classes === null ? makeData(n) : makeClassification(n, w.inputs, w.classes)
  const name = w.classes === null ? `scaling-${n}` : `classify-${n}-${w.inputs}-${w.classes}`
  const csv = join(dir, `${name}.csv`)
  const f32 = join(dir, `${name}.f32`)
  writeFileSync(csv, csvText(x, y, xColumns(w)))
  const both = new Float32Array(x.length + n)
  both.set(x, 0)
  both.set(y, x.length)
  writeFileSync(f32, new Uint8Array(both.buffer))
  return { csv, f32 }
}
