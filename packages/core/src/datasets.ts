import type { DataSplit } from './backend.js'
import { UserError } from './errors.js'
import type { ExperimentSpec } from './spec.js'

export interface Dataset extends DataSplit {
  name: string
  description: string
  /** Names and units, for reports, e.g. ['m'] -> ['ft']. */
  inputUnits: string[]
  outputUnits: string[]
  /** The true function, when known, so that prediction error can be reported. */
  exact?: (x: number[]) => number[]
}

function fromFunction(
  name: string,
  description: string,
  xs: number[],
  f: (x: number) => number,
  units: [string, string],
  ys?: number[],
): Dataset {
  return {
    name,
    description,
    n: xs.length,
    inputs: 1,
    outputs: 1,
    x: Float32Array.from(xs),
    y: Float32Array.from(ys ?? xs.map(f)),
    inputUnits: [units[0]],
    outputUnits: [units[1]],
    exact: (x) => [f(x[0] as number)],
  }
}

const BUILTIN: Record<string, () => Dataset> = {
  // The seed article's data, its feet values as printed there.
  'meters-feet': () =>
    fromFunction(
      'meters-feet',
      "meters -> feet, the seed article's 7 points (y = 3.28084 x)",
      [1, 8, 4, 5, 12, 10, 17],
      (m) => m * 3.28084,
      ['m', 'ft'],
      [3.28084, 26.24672, 13.12336, 16.4042, 39.37008, 32.8084, 55.77428],
    ),
  'celsius-fahrenheit': () =>
    fromFunction(
      'celsius-fahrenheit',
      'celsius -> fahrenheit, 7 points (y = 1.8 x + 32, has a bias)',
      [-40, -10, 0, 8, 15, 22, 38],
      (c) => c * 1.8 + 32,
      ['°C', '°F'],
    ),
}

export const builtinDatasets = Object.keys(BUILTIN)

function rows(values: (number | number[])[], field: string): number[][] {
  const out = values.map((v) => (Array.isArray(v) ? v : [v]))
  const width = out[0]?.length ?? 0
  out.forEach((r, i) => {
    if (r.length !== width)
      throw new UserError(`${field}[${i}]: expected ${width} value(s) like row 0, got ${r.length}`)
    r.forEach((v, j) => {
      if (!Number.isFinite(v)) throw new UserError(`${field}[${i}][${j}]: expected a finite number, got ${v}`)
    })
  })
  return out
}

export function loadDataset(spec: ExperimentSpec['dataset']): Dataset {
  if ('builtin' in spec) {
    const make = BUILTIN[spec.builtin]
    if (!make)
      throw new UserError(
        `dataset.builtin: expected one of ${builtinDatasets.join(', ')}, got "${spec.builtin}"`,
      )
    return make()
  }
  const x = rows(spec.inline.x, 'dataset.inline.x')
  const y = rows(spec.inline.y, 'dataset.inline.y')
  if (x.length !== y.length)
    throw new UserError(`dataset.inline.y: expected ${x.length} rows like x, got ${y.length}`)
  const inputs = x[0]?.length ?? 0
  const outputs = y[0]?.length ?? 0
  return {
    name: 'inline',
    description: `inline data, ${x.length} rows`,
    n: x.length,
    inputs,
    outputs,
    x: Float32Array.from(x.flat()),
    y: Float32Array.from(y.flat()),
    inputUnits: Array(inputs).fill(''),
    outputUnits: Array(outputs).fill(''),
  }
}

/** The rows `index` of a split, in that order. */
export function subset(d: DataSplit, index: ArrayLike<number>): DataSplit {
  const x = new Float32Array(index.length * d.inputs)
  const y = new Float32Array(index.length * d.outputs)
  for (let r = 0; r < index.length; r++) {
    const i = index[r] as number
    x.set(d.x.subarray(i * d.inputs, (i + 1) * d.inputs), r * d.inputs)
    y.set(d.y.subarray(i * d.outputs, (i + 1) * d.outputs), r * d.outputs)
  }
  return { n: index.length, inputs: d.inputs, outputs: d.outputs, x, y }
}
