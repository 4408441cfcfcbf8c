import { createHash } from 'node:crypto'
import { resolve } from 'node:path'
import { DataError, formatFromPath, rangeProblem, readTable, TABLE_FORMATS } from '@dualfit/data'
import type { DataSplit } from './backend.js'
import { UserError } from './errors.js'
import { type BuiltinName, EXACT_FUNCTIONS } from './exact.js'
import { Rng } from './rng.js'
import type { DatasetSpec } from './spec.js'

export interface Dataset extends DataSplit {
  name: string
  description: string
  /** Column names, e.g. ['meters'] -> ['feet']. */
  columns: { x: string[]; y: string[] }
  /** Units for reports, e.g. ['m'] -> ['ft'] ('' when unknown). */
  inputUnits: string[]
  outputUnits: string[]
  /** Rows left out because a value was missing (file datasets with dropMissing). */
  dropped: number
  /** The true function, when known, so that prediction error can be reported. */
  exact?: (x: number[]) => number[]
}

/** What results record about the data: enough to tell two runs' data apart without the file. */
export interface DataInfo {
  name: string
  description: string
  /** The file as the spec names it, for file datasets. */
  file?: string
  columns: { x: string[]; y: string[] }
  units: { x: string[]; y: string[] }
  rows: number
  dropped: number
  /** Rows held out by the spec's split (0 without one). */
  testRows: number
  /** sha256 of the float32 x then y bytes. */
  sha256: string
  /** Mean of y squared over the rows CV and refit use: the scale of parity's float32 floor. */
  yMeanSquare?: number
}

/** A one-input built-in: its points and how to label them (its true function: exact.ts). */
interface Builtin {
  description: string
  rows: number
  /** The seed's tables have fixed rows; generated ones take `rows` and `seed`. */
  fixed?: boolean
  columns: [string, string]
  units: [string, string]
  make(rows: number, seed: number): { xs: ArrayLike<number>; ys?: ArrayLike<number> }
}

function uniform(rows: number, seed: number, stream: string, lo: number, hi: number): Float64Array {
  const rng = new Rng(seed, 'dataset', stream)
  return Float64Array.from({ length: rows }, () => rng.uniform(lo, hi))
}

const formula = (name: BuiltinName) => EXACT_FUNCTIONS[name].formula

const BUILTIN: Record<BuiltinName, Builtin> = {
  'meters-feet': {
    description: `meters -> feet, the seed article's 7 points (${formula('meters-feet')})`,
    rows: 7,
    fixed: true,
    columns: ['meters', 'feet'],
    units: ['m', 'ft'],
    // The seed's own feet values, as printed in the article.
    make: () => ({
      xs: [1, 8, 4, 5, 12, 10, 17],
      ys: [3.28084, 26.24672, 13.12336, 16.4042, 39.37008, 32.8084, 55.77428],
    }),
  },
  'celsius-fahrenheit': {
    description: `celsius -> fahrenheit, 7 points (${formula('celsius-fahrenheit')}, has a bias)`,
    rows: 7,
    fixed: true,
    columns: ['celsius', 'fahrenheit'],
    units: ['°C', '°F'],
    make: () => ({ xs: [-40, -10, 0, 8, 15, 22, 38] }),
  },
  'noisy-linear': {
    description: `${formula('noisy-linear')} plus N(0, 1) noise, x uniform in [0, 10] (seeded)`,
    rows: 200,
    columns: ['x', 'y'],
    units: ['', ''],
    make: (rows, seed) => {
      const xs = uniform(rows, seed, 'noisy-linear/x', 0, 10)
      const noise = new Rng(seed, 'dataset', 'noisy-linear/noise')
      const { f } = EXACT_FUNCTIONS['noisy-linear']
      return { xs, ys: xs.map((x) => f(x) + noise.normal()) }
    },
  },
  sin: {
    description: `${formula('sin')}, x uniform in [-pi, pi] (seeded); needs a hidden layer`,
    rows: 256,
    columns: ['x', 'sin_x'],
    units: ['', ''],
    make: (rows, seed) => ({ xs: uniform(rows, seed, 'sin/x', -Math.PI, Math.PI) }),
  },
}

export const builtinDatasets = Object.keys(BUILTIN)

/** Built-in datasets with their default sizes, for `dualfit datasets`. */
export function listBuiltinDatasets() {
  return Object.entries(BUILTIN).map(([name, b]) => ({
    name,
    description: b.description,
    rows: b.rows,
    columns: { x: [b.columns[0]], y: [b.columns[1]] },
  }))
}

/** A built-in dataset; `rows` and `seed` only apply to the generated ones (noisy-linear, sin). */
export function builtinDataset(name: string, rows?: number, seed = 0): Dataset {
  const b = builtinDatasets.includes(name) ? BUILTIN[name as BuiltinName] : undefined
  if (!b) throw new UserError(`dataset.builtin: expected one of ${builtinDatasets.join(', ')}, got "${name}"`)
  if (b.fixed && rows !== undefined && rows !== b.rows) {
    throw new UserError(`dataset.rows: '${name}' has a fixed ${b.rows} rows, got ${rows}`)
  }
  const { f } = EXACT_FUNCTIONS[name as BuiltinName]
  const { xs, ys } = b.make(rows ?? b.rows, seed)
  const x = Float32Array.from(xs)
  return {
    name,
    description: b.description,
    n: x.length,
    inputs: 1,
    outputs: 1,
    x,
    y: ys ? Float32Array.from(ys) : x.map(f),
    columns: { x: [b.columns[0]], y: [b.columns[1]] },
    inputUnits: [b.units[0]],
    outputUnits: [b.units[1]],
    dropped: 0,
    exact: (row) => [f(row[0] as number)],
  }
}

function inlineRows(values: (number | number[])[], field: string): number[][] {
  const out = values.map((v) => (Array.isArray(v) ? v : [v]))
  const width = out[0]?.length ?? 0
  out.forEach((r, i) => {
    if (r.length !== width)
      throw new UserError(`${field}[${i}]: expected ${width} value(s) like row 0, got ${r.length}`)
    r.forEach((v, j) => {
      // The spec schema's rule, for callers that build a DatasetSpec without parseSpec.
      const problem = rangeProblem(v)
      if (problem) throw new UserError(`${field}[${i}][${j}]: ${problem}`)
    })
  })
  return out
}

function inline(x: (number | number[])[], y: (number | number[])[]): Dataset {
  const xr = inlineRows(x, 'dataset.inline.x')
  const yr = inlineRows(y, 'dataset.inline.y')
  if (xr.length !== yr.length)
    throw new UserError(`dataset.inline.y: expected ${xr.length} rows like x, got ${yr.length}`)
  const inputs = xr[0]?.length ?? 0
  const outputs = yr[0]?.length ?? 0
  return {
    name: 'inline',
    description: `inline data, ${xr.length} rows`,
    n: xr.length,
    inputs,
    outputs,
    x: Float32Array.from(xr.flat()),
    y: Float32Array.from(yr.flat()),
    columns: {
      x: Array.from({ length: inputs }, (_, i) => `x${i}`),
      y: Array.from({ length: outputs }, (_, i) => `y${i}`),
    },
    inputUnits: Array(inputs).fill(''),
    outputUnits: Array(outputs).fill(''),
    dropped: 0,
  }
}

async function fromFile(spec: Extract<DatasetSpec, { file: string }>, baseDir: string): Promise<Dataset> {
  const path = resolve(baseDir, spec.file)
  const format = spec.format ?? formatFromPath(spec.file)
  if (!format) {
    throw new UserError(
      `dataset.file '${spec.file}': cannot tell the format from its extension; set dataset.format (--format-data) to one of ${TABLE_FORMATS.join(', ')}`,
    )
  }
  try {
    const t = await readTable(path, {
      format,
      x: spec.x,
      y: spec.y,
      dropMissing: spec.dropMissing,
      label: spec.file,
    })
    const dropped = t.dropped > 0 ? `, ${t.dropped} with missing values dropped` : ''
    return {
      name: spec.file,
      description: `${spec.x.join(', ')} -> ${spec.y.join(', ')} from ${spec.file} (${t.n} rows${dropped})`,
      n: t.n,
      inputs: spec.x.length,
      outputs: spec.y.length,
      x: t.x,
      y: t.y,
      columns: { x: [...spec.x], y: [...spec.y] },
      inputUnits: spec.x.map(() => ''),
      outputUnits: spec.y.map(() => ''),
      dropped: t.dropped,
    }
  } catch (e) {
    if (e instanceof DataError) throw new UserError(e.message)
    throw e
  }
}

/** Loads the spec's dataset; a file's path is taken relative to `baseDir` (the spec file's folder). */
export async function loadDataset(spec: DatasetSpec, baseDir = process.cwd()): Promise<Dataset> {
  if ('builtin' in spec) return builtinDataset(spec.builtin, spec.rows, spec.seed)
  if ('inline' in spec) return inline(spec.inline.x, spec.inline.y)
  return fromFile(spec, baseDir)
}

export function dataHash(d: DataSplit): string {
  const h = createHash('sha256')
  h.update(new Uint8Array(d.x.buffer, d.x.byteOffset, d.x.byteLength))
  h.update(new Uint8Array(d.y.buffer, d.y.byteOffset, d.y.byteLength))
  return h.digest('hex')
}

/** The rows `index` of a split, in that order. */
export function subset(d: DataSplit, index: ArrayLike<number>): DataSplit {
  const x = new Float32Array(index.length * d.inputs)
  const y = new Float32Array(index.length * d.outputs)
  // Element copies: a subarray view per row costs more than the copy itself at 1e6 rows.
  for (let r = 0; r < index.length; r++) {
    const i = index[r] as number
    for (let c = 0; c < d.inputs; c++) x[r * d.inputs + c] = d.x[i * d.inputs + c] as number
    for (let c = 0; c < d.outputs; c++) y[r * d.outputs + c] = d.y[i * d.outputs + c] as number
  }
  return { n: index.length, inputs: d.inputs, outputs: d.outputs, x, y }
}
