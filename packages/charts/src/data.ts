import { builtinDataset, builtinDatasets, dataHash, type ExperimentResult, loadDataset } from '@dualfit/core'

/** Data rows to draw (one input, one output), and the dataset's exact function when it has one. */
export interface DataPoints {
  /** [x, y] pairs; empty when the rows are not known (a file that is not at hand). */
  points: [number, number][]
  /** Where the rows came from, for the chart's subtitle. */
  source: 'builtin' | 'inline' | 'file' | 'none'
  /** Rows before thinning to `maxPoints`. */
  rows: number
  exact?: (x: number) => number
}

/** At most this many points per chart: more only slows the SVG down. */
export const MAX_POINTS = 2000

/** Every k-th row, so that at most `max` are left (deterministic, keeps the spread). */
function thin(points: [number, number][], max: number): [number, number][] {
  if (points.length <= max) return points
  const step = points.length / max
  return Array.from({ length: max }, (_, i) => points[Math.floor(i * step)] as [number, number])
}

function pairs(x: ArrayLike<number>, y: ArrayLike<number>, inputs: number, outputs: number) {
  const n = Math.floor(x.length / inputs)
  return Array.from(
    { length: n },
    (_, i) => [x[i * inputs] as number, y[i * outputs] as number] as [number, number],
  )
}

/**
 * The data rows of a one-input result, from what the results carry: a built-in dataset is made
 * again from its name, rows and seed; inline rows are in the spec; a file is read again from
 * `baseDirs` (the spec's folder, the current one) and used only when its sha256 matches the one
 * recorded in the results. Otherwise no points, only the exact function when it is known.
 */
export async function dataPoints(
  r: ExperimentResult,
  opts: { baseDirs?: string[]; maxPoints?: number } = {},
): Promise<DataPoints> {
  const max = opts.maxPoints ?? MAX_POINTS
  const d = r.spec.dataset
  if (r.data.columns.x.length !== 1 || r.data.columns.y.length !== 1)
    return { points: [], source: 'none', rows: 0 }
  if ('builtin' in d && builtinDatasets.includes(d.builtin)) {
    const ds = builtinDataset(d.builtin, d.rows, d.seed)
    const exact = ds.exact
    return {
      points: thin(pairs(ds.x, ds.y, 1, 1), max),
      source: 'builtin',
      rows: ds.n,
      ...(exact ? { exact: (x: number) => exact([x])[0] as number } : {}),
    }
  }
  if ('inline' in d) {
    const row = (v: number | number[]) => (Array.isArray(v) ? (v[0] as number) : v)
    const points = d.inline.x.map((x, i) => [row(x), row(d.inline.y[i] ?? Number.NaN)] as [number, number])
    return { points: thin(points, max), source: 'inline', rows: points.length }
  }
  if ('file' in d) {
    for (const dir of opts.baseDirs ?? []) {
      try {
        const ds = await loadDataset(d, dir)
        if (dataHash(ds) !== r.data.sha256) continue
        return { points: thin(pairs(ds.x, ds.y, 1, 1), max), source: 'file', rows: ds.n }
      } catch {
        // not at hand from this folder: try the next
      }
    }
  }
  return { points: [], source: 'none', rows: 0 }
}
