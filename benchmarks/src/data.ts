/** The scaling suite's data: x uniform in [0, 20] (seeded), y = 3.28084 x, in float32. */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Rng } from '@dualfit/core'

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

/** CSV with a header row; each float32 printed in the shortest form that reads back to the same float32. */
export function csvText(x: Float32Array, y: Float32Array): string {
  const lines = new Array<string>(x.length + 1)
  lines[0] = 'x,y'
  for (let i = 0; i < x.length; i++) lines[i + 1] = `${x[i]},${y[i]}`
  return `${lines.join('\n')}\n`
}

/**
 * Writes the data twice into `dir`: a CSV for dualfit (read by @dualfit/data through the spec) and
 * the raw float32 values (x then y) for PyTorch (np.fromfile, no parsing in its timings or RSS).
 */
export function writeData(dir: string, n: number): { csv: string; f32: string } {
  const { x, y } = makeData(n)
  const csv = join(dir, `scaling-${n}.csv`)
  const f32 = join(dir, `scaling-${n}.f32`)
  writeFileSync(csv, csvText(x, y))
  const both = new Float32Array(2 * n)
  both.set(x, 0)
  both.set(y, n)
  writeFileSync(f32, new Uint8Array(both.buffer))
  return { csv, f32 }
}
