import {
  builtinDataset,
  builtinDatasets,
  type Dataset,
  dataHash,
  type ExperimentResult,
  loadDataset,
  taskOf,
} from '@dualfit/core'

/**
 * Data rows to draw, and the dataset's exact function when it has one: one-input rows of a
 * regression (the predictions chart), one- or two-input rows of a classification (class
 * probabilities, decision regions).
 */
export interface DataPoints {
  /**
   * [x, y0, y1, ...] rows, a y per output (a classification's [x1, (x2,) class index]); empty when
   * the rows are not known (a file not at hand).
   */
  points: Point[]
  /** Where the rows came from, for the chart's subtitle. */
  source: 'builtin' | 'inline' | 'file' | 'none'
  /** Rows before thinning to MAX_POINTS. */
  rows: number
  exact?: (x: number) => number
}

/** The inputs, then each output's target. */
export type Point = [number, ...number[]]

/** At most this many points per chart: more only slows the SVG down. */
export const MAX_POINTS = 2000

/** Indexes of at most `max` of `n` items, evenly spread, always the first and the last. */
export function thinIndexes(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i)
  const out = Array.from({ length: max - 1 }, (_, i) => Math.floor((i * (n - 1)) / (max - 1)))
  out.push(n - 1)
  return out
}

/** [x..., y...] rows (x and y row-major, `inputs` and `outputs` per row), at most MAX_POINTS of them. */
function rowsOf(x: ArrayLike<number>, y: ArrayLike<number>, outputs: number, inputs = 1): Point[] {
  return thinIndexes(y.length / outputs, MAX_POINTS).map((i) => [
    x[i * inputs] as number,
    ...Array.from({ length: inputs - 1 }, (_, k) => x[i * inputs + k + 1] as number),
    ...Array.from({ length: outputs }, (_, j) => y[i * outputs + j] as number),
  ])
}

const NONE: DataPoints = { points: [], source: 'none', rows: 0 }

/**
 * The data rows of a one-input regression (every output) or a one- or two-input classification (class
 * indices, as core encodes the labels), from what the results carry: a built-in dataset is made
 * again from its name, rows, seed and noise; inline rows are in the spec; a file is read again from
 * `baseDirs` (the spec's folder, the current one), unless `dataset` holds it already (compare
 * has it in memory), and used only when its sha256 matches the one recorded in the results.
 * Otherwise no points, only the exact function when it is known.
 */
export async function dataPoints(
  r: ExperimentResult,
  opts: { baseDirs?: string[]; dataset?: Dataset } = {},
): Promise<DataPoints> {
  const d = r.spec.dataset
  const task = taskOf(r.spec)
  const inputs = r.data.columns.x.length
  if (inputs !== 1 && !(task === 'classification' && inputs === 2)) return NONE
  const outputs = r.data.columns.y.length
  if ('builtin' in d && builtinDatasets.includes(d.builtin)) {
    const ds = builtinDataset(d.builtin, d.rows, d.seed, d.noise)
    const exact = ds.exact
    return {
      points: rowsOf(ds.x, ds.y, ds.outputs, inputs),
      source: 'builtin',
      rows: ds.n,
      ...(exact ? { exact: (x: number) => exact([x])[0] as number } : {}),
    }
  }
  if ('inline' in d && task === 'classification') {
    const ds = await loadDataset(d, undefined, task)
    return { points: rowsOf(ds.x, ds.y, ds.outputs, inputs), source: 'inline', rows: ds.n }
  }
  if ('inline' in d) {
    const row = (v: number | number[] | undefined) => (Array.isArray(v) ? v : [v ?? Number.NaN])
    const xs = d.inline.x.map((v) => row(v)[0] as number)
    const ys = xs.flatMap((_, i) =>
      Array.from({ length: outputs }, (_, j) => row(d.inline.y[i])[j] as number),
    )
    return { points: rowsOf(xs, ys, outputs), source: 'inline', rows: xs.length }
  }
  if ('file' in d) {
    const fromFile = (ds: Dataset): DataPoints => ({
      points: rowsOf(ds.x, ds.y, ds.outputs, inputs),
      source: 'file',
      rows: ds.n,
    })
    if (opts.dataset && dataHash(opts.dataset) === r.data.sha256) return fromFile(opts.dataset)
    for (const dir of opts.baseDirs ?? []) {
      try {
        const ds = await loadDataset(d, dir, task)
        if (dataHash(ds) !== r.data.sha256) continue
        return fromFile(ds)
      } catch {
        // not at hand from this folder: try the next
      }
    }
  }
  return NONE
}
