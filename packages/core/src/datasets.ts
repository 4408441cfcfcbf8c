import { createHash } from 'node:crypto'
import { resolve } from 'node:path'
import { DataError, formatFromPath, rangeProblem, readTable, TABLE_FORMATS } from '@dualfit/data'
import type { DataSplit } from './backend.js'
import { UserError } from './errors.js'
import { type BuiltinName, EXACT_FUNCTIONS } from './exact.js'
import { IRIS } from './iris.js'
import { Rng } from './rng.js'
import type { DatasetSpec, Task } from './spec.js'

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
  /**
   * Classification data: the class names in label order (y holds indices into it), sorted as
   * scikit-learn's LabelEncoder sorts them: numerically for integer labels, else by code point.
   */
  classes?: string[]
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
  /** Classification data: class names in label order, and each class's rows (all rows). */
  classes?: string[]
  classCounts?: number[]
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

/** A built-in classification table: class labels, no exact function. */
interface ClassesBuiltin {
  description: string
  rows: number
  fixed?: boolean
  /** The default of `noise` for generated ones. */
  noise?: number
  columns: string[]
  classes: string[]
  make(rows: number, seed: number, noise: number): { x: ArrayLike<number>; y: ArrayLike<number> }
}

/** Half the rows on each of two interleaved shapes, then the rows in a seeded order. */
function twoShapes(
  rows: number,
  seed: number,
  noise: number,
  name: string,
  point: (t: number, label: number) => [number, number],
) {
  const half = [rows >> 1, rows - (rows >> 1)]
  const xs: number[] = []
  const ys: number[] = []
  const rng = new Rng(seed, 'dataset', `${name}/noise`)
  half.forEach((count, label) => {
    for (let i = 0; i < count; i++) {
      const [a, b] = point(count > 1 ? i / (count - 1) : 0, label)
      xs.push(a + noise * rng.normal(), b + noise * rng.normal())
      ys.push(label)
    }
  })
  const order = new Rng(seed, 'dataset', `${name}/order`).permutation(rows)
  return {
    x: Array.from(order).flatMap((i) => [xs[2 * i] as number, xs[2 * i + 1] as number]),
    y: Array.from(order, (i) => ys[i] as number),
  }
}

const CLASSES_BUILTIN: Record<string, ClassesBuiltin> = {
  iris: {
    description: "Fisher's iris (1936): 4 measurements -> 3 species, 50 rows each",
    rows: 150,
    fixed: true,
    columns: IRIS.columns,
    classes: IRIS.classes,
    make: () => IRIS,
  },
  moons: {
    description:
      "two interleaving half circles (scikit-learn's make_moons) plus N(0, noise^2) noise, 2 classes; needs a hidden layer",
    rows: 200,
    noise: 0.2,
    columns: ['x1', 'x2'],
    classes: ['0', '1'],
    // The outer moon's points are (cos t, sin t), the inner's (1 - cos t, 0.5 - sin t), t in [0, pi].
    make: (rows, seed, noise) =>
      twoShapes(rows, seed, noise, 'moons', (t, label) => {
        const a = Math.PI * t
        return label === 0 ? [Math.cos(a), Math.sin(a)] : [1 - Math.cos(a), 0.5 - Math.sin(a)]
      }),
  },
  spirals: {
    description:
      'two interleaved spirals of 1.5 turns plus N(0, noise^2) noise, 2 classes; needs a hidden layer',
    rows: 400,
    noise: 0.05,
    columns: ['x1', 'x2'],
    classes: ['0', '1'],
    make: (rows, seed, noise) =>
      twoShapes(rows, seed, noise, 'spirals', (t, label) => {
        const r = 0.05 + 0.95 * t
        const a = 3 * Math.PI * t + label * Math.PI
        return [r * Math.cos(a), r * Math.sin(a)]
      }),
  },
}

export const builtinDatasets = [...Object.keys(BUILTIN), ...Object.keys(CLASSES_BUILTIN)]

/** The task a built-in dataset is for, or null for an unknown name. */
export function builtinTask(name: string): Task | null {
  if (Object.hasOwn(BUILTIN, name)) return 'regression'
  return Object.hasOwn(CLASSES_BUILTIN, name) ? 'classification' : null
}

/** Built-in datasets with their default sizes and task, for `dualfit datasets`. */
export function listBuiltinDatasets() {
  return [
    ...Object.entries(BUILTIN).map(([name, b]) => ({
      name,
      task: 'regression' as Task,
      description: b.description,
      rows: b.rows,
      columns: { x: [b.columns[0]], y: [b.columns[1]] },
    })),
    ...Object.entries(CLASSES_BUILTIN).map(([name, b]) => ({
      name,
      task: 'classification' as Task,
      description: b.description,
      rows: b.rows,
      columns: { x: b.columns, y: ['class'] },
      classes: b.classes,
    })),
  ]
}

function classesBuiltin(name: string, b: ClassesBuiltin, rows?: number, seed = 0, noise?: number): Dataset {
  if (b.noise === undefined && noise !== undefined)
    throw new UserError(`dataset.noise: '${name}' is a fixed table without noise, got ${noise}`)
  const t = b.make(rows ?? b.rows, seed, noise ?? b.noise ?? 0)
  const inputs = b.columns.length
  const n = t.y.length
  return {
    name,
    description: b.description,
    n,
    inputs,
    outputs: 1,
    x: Float32Array.from(t.x),
    y: Float32Array.from(t.y),
    columns: { x: [...b.columns], y: ['class'] },
    inputUnits: b.columns.map(() => ''),
    outputUnits: [''],
    dropped: 0,
    classes: [...b.classes],
  }
}

/** A built-in dataset; `rows`, `seed` and `noise` only apply to the generated ones. */
export function builtinDataset(name: string, rows?: number, seed = 0, noise?: number): Dataset {
  const b = Object.hasOwn(BUILTIN, name) ? BUILTIN[name as BuiltinName] : undefined
  const c = Object.hasOwn(CLASSES_BUILTIN, name) ? CLASSES_BUILTIN[name] : undefined
  if (!b && !c)
    throw new UserError(`dataset.builtin: expected one of ${builtinDatasets.join(', ')}, got "${name}"`)
  const fixed = b ? (b.fixed ? b.rows : null) : c?.fixed ? c.rows : null
  if (fixed !== null && rows !== undefined && rows !== fixed) {
    throw new UserError(`dataset.rows: '${name}' has a fixed ${fixed} rows, got ${rows}`)
  }
  if (c) return classesBuiltin(name, c, rows, seed, noise)
  return regressionBuiltin(name, b as Builtin, rows, seed, noise)
}

function regressionBuiltin(name: string, b: Builtin, rows?: number, seed = 0, noise?: number): Dataset {
  if (noise !== undefined)
    throw new UserError(`dataset.noise: '${name}' takes no noise setting (its noise is fixed), got ${noise}`)
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

/** Most classes a label column may have: beyond it, it is far likelier a numeric target than labels. */
export const MAX_CLASSES = 1000

/** Class indices for integer labels, the classes sorted numerically (LabelEncoder's order). */
function encodeIntegers(values: number[], field: string): { y: Float32Array; classes: string[] } {
  const bad = values.findIndex((v) => !Number.isInteger(v))
  if (bad >= 0)
    throw new UserError(
      `${field}[${bad}]: expected an integer class label (the loss is a classification loss), got ${values[bad]}`,
    )
  const sorted = [...new Set(values)].sort((a, b) => a - b)
  const index = new Map(sorted.map((v, i) => [v, i]))
  return { y: Float32Array.from(values, (v) => index.get(v) as number), classes: sorted.map(String) }
}

function inline(x: (number | number[])[], y: (number | number[])[], task: Task): Dataset {
  const xr = inlineRows(x, 'dataset.inline.x')
  const yr = inlineRows(y, 'dataset.inline.y')
  if (task === 'classification' && (yr[0]?.length ?? 0) !== 1)
    throw new UserError(
      `dataset.inline.y: expected one class label per row (a classification loss), got rows of ${yr[0]?.length}`,
    )
  const labels = task === 'classification' ? encodeIntegers(yr.flat(), 'dataset.inline.y') : null
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
    y: labels?.y ?? Float32Array.from(yr.flat()),
    columns: {
      x: Array.from({ length: inputs }, (_, i) => `x${i}`),
      y: Array.from({ length: outputs }, (_, i) => `y${i}`),
    },
    inputUnits: Array(inputs).fill(''),
    outputUnits: Array(outputs).fill(''),
    dropped: 0,
    ...(labels ? { classes: labels.classes } : {}),
  }
}

async function fromFile(
  spec: Extract<DatasetSpec, { file: string }>,
  baseDir: string,
  task: Task,
): Promise<Dataset> {
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
      labels: task === 'classification',
    })
    const { labels } = t
    if (labels?.kind === 'number' && labels.fraction) {
      throw new UserError(
        `${spec.file}: row ${labels.fraction.row}, column '${spec.y[0]}': expected an integer class label (the loss is a classification loss), got ${labels.fraction.text}; a column of fractions is a regression target`,
      )
    }
    if (labels && labels.classes.length > MAX_CLASSES)
      throw new UserError(
        `${spec.file}: column '${spec.y[0]}' has ${labels.classes.length} distinct values, expected at most ${MAX_CLASSES} classes: is it a class label?`,
      )
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
      ...(labels ? { classes: labels.classes } : {}),
    }
  } catch (e) {
    if (e instanceof DataError) throw new UserError(e.message)
    throw e
  }
}

/**
 * Loads the spec's dataset; a file's path is taken relative to `baseDir` (the spec file's folder).
 * Under 'classification' y is one column of class labels, encoded as indices into `classes`.
 */
export async function loadDataset(
  spec: DatasetSpec,
  baseDir = process.cwd(),
  task: Task = 'regression',
): Promise<Dataset> {
  if ('builtin' in spec) {
    const own = builtinTask(spec.builtin)
    if (own && own !== task)
      throw new UserError(
        own === 'classification'
          ? `dataset.builtin: '${spec.builtin}' holds class labels: expected loss cross_entropy or binary_cross_entropy, got a regression loss`
          : `dataset.builtin: '${spec.builtin}' is a regression dataset: expected loss mse, mae or huber, got a classification loss`,
      )
    return builtinDataset(spec.builtin, spec.rows, spec.seed, spec.noise)
  }
  if ('inline' in spec) return inline(spec.inline.x, spec.inline.y, task)
  return fromFile(spec, baseDir, task)
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
