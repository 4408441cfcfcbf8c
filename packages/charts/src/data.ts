import {
  builtinDataset,
  builtinDatasets,
  type Dataset,
  dataHash,
  type ExperimentResult,
  loadDataset,
} from '@dualfit/core'

/** Data rows to draw (one input, one output), and the dataset's exact function when it has one. */
export interface DataPoints {
  /** [x, y] pairs; empty when the rows are not known (a file that is not at hand). */
  points: [number, number][]
  /** Where the rows came from, for the chart's subtitle. */
  source: 'builtin' | 'inline' | 'file' | 'none'
  /** Rows before thinning to MAX_POINTS. */
  rows: number
  exact?: (x: number) => number
}

/** At most this many points per chart: more only slows the SVG down. */
export const MAX_POINTS = 2000

/** Indexes of at most `max` of `n` items, evenly spread, always the first and the last. */
export function thinIndexes(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i)
  const out = Array.from({ length: max - 1 }, (_, i) => Math.floor((i * (n - 1)) / (max - 1)))
  out.push(n - 1)
  return out
}

/** [x, y] pairs of one-input, one-output rows, at most MAX_POINTS of them. */
function pairs(x: ArrayLike<number>, y: ArrayLike<number>): [number, number][] {
  return thinIndexes(x.length, MAX_POINTS).map((i) => [x[i] as number, y[i] as number])
}

/**
 * The data rows of a one-input result, from what the results carry: a built-in dataset is made
 * again from its name, rows and seed; inline rows are in the spec; a file is read again from
 * `baseDirs` (the spec's folder, the current one), unless `dataset` holds it already (compare
 * has it in memory), and used only when its sha256 matches the one recorded in the results.
 * Otherwise no points, only the exact function when it is known.
 */
export async function dataPoints(
  r: ExperimentResult,
  opts: { baseDirs?: string[]; dataset?: Dataset } = {},
): Promise<DataPoints> {
  const d = r.spec.dataset
  if (r.data.columns.x.length !== 1 || r.data.columns.y.length !== 1)
    return { points: [], source: 'none', rows: 0 }
  if ('builtin' in d && builtinDatasets.includes(d.builtin)) {
    const ds = builtinDataset(d.builtin, d.rows, d.seed)
    const exact = ds.exact
    return {
      points: pairs(ds.x, ds.y),
      source: 'builtin',
      rows: ds.n,
      ...(exact ? { exact: (x: number) => exact([x])[0] as number } : {}),
    }
  }
  if ('inline' in d) {
    const row = (v: number | number[]) => (Array.isArray(v) ? (v[0] as number) : v)
    const xs = d.inline.x.map(row)
    const ys = xs.map((_, i) => row(d.inline.y[i] ?? Number.NaN))
    return { points: pairs(xs, ys), source: 'inline', rows: xs.length }
  }
  if ('file' in d) {
    const fromFile = (ds: Dataset): DataPoints => ({ points: pairs(ds.x, ds.y), source: 'file', rows: ds.n })
    if (opts.dataset && dataHash(opts.dataset) === r.data.sha256) return fromFile(opts.dataset)
    for (const dir of opts.baseDirs ?? []) {
      try {
        const ds = await loadDataset(d, dir)
        if (dataHash(ds) !== r.data.sha256) continue
        return fromFile(ds)
      } catch {
        // not at hand from this folder: try the next
      }
    }
  }
  return { points: [], source: 'none', rows: 0 }
}
