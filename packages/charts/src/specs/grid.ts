/** The grid search chart. */
import type { ExperimentResult, Score } from '@dualfit/core'
import { paramsLabel } from '@dualfit/report'
import type { TopLevelSpec } from 'vega-lite'
import { backendsOf, type SpecGroup } from '../model.js'
import { perBackend } from './captions.js'
import { logAxis, logTicks, padLog } from './scales.js'
import { backendStyles, frame, type SeriesEncoding, seriesEncoding } from './style.js'

interface GridRow {
  series: string
  x: number | null
  label: string
  mean: number
  lo: number
  hi: number
  selected: boolean
}

/** The y encoding of the mean score, which the band or bars reuse for their ends. */
type ScoreAxis = Record<string, unknown>

/** The grid's x values: a number per point when the grid is one numeric key, else null. */
function numericGrid(r: ExperimentResult): number[] | null {
  const keys = r.grid.keys
  if (keys.length !== 1) return null
  const key = keys[0] as string
  const xs = r.grid.points.map((p) => p[key])
  return xs.every((v): v is number => typeof v === 'number' && Number.isFinite(v)) ? xs : null
}

/** Each selection score's axis title, and what the chart's points are. */
const SCORES: Record<Score, { axis: string; what: string }> = {
  cv_mse: { axis: 'CV MSE', what: 'mean held-out MSE' },
  cv_log_loss: { axis: 'CV log loss', what: 'mean held-out log loss' },
  cv_accuracy: { axis: 'CV accuracy', what: 'mean held-out accuracy (the highest wins)' },
  train_loss: { axis: 'final training loss', what: 'mean final training loss (the grid score)' },
}

/** A row per backend and grid point with a finite score; the points that diverged; each selection. */
function gridRows(results: ExperimentResult[]): {
  rows: GridRow[]
  diverged: string[]
  selected: { backend: string; text: string }[]
} {
  const rows: GridRow[] = []
  const diverged: string[] = []
  const selected: { backend: string; text: string }[] = []
  for (const r of results) {
    const rx = numericGrid(r)
    for (const s of r.selection.scores) {
      const label = paramsLabel(s.params)
      const finite = s.values.filter((v) => Number.isFinite(v))
      if (!Number.isFinite(s.mean) || finite.length === 0) {
        diverged.push(`${r.backend.id} at ${label}`)
        continue
      }
      rows.push({
        series: r.backend.id,
        x: rx ? (rx[s.point] ?? null) : null,
        label,
        mean: s.mean,
        lo: Math.min(...finite),
        hi: Math.max(...finite),
        selected: s.point === r.selection.selected,
      })
    }
    const sel = r.selection.scores[r.selection.selected]
    if (sel) selected.push({ backend: r.backend.id, text: paramsLabel(sel.params) })
  }
  return { rows, diverged, selected }
}

/** On a log y scale, a fold that scored exactly 0 (float32 can) draws its band down to the axis floor. */
function floorZeroFolds(rows: GridRow[]): boolean {
  let zeroFolds = false
  const floor = logTicks(rows.flatMap((d) => [d.mean, d.lo, d.hi]))[0] as number
  for (const d of rows)
    if (!(d.lo > 0)) {
      d.lo = floor
      zeroFolds = true
    }
  return zeroFolds
}

/** What the band or bars span: folds and seeds, or null when each point is a single run. */
function spreadOver(first: ExperimentResult): string | null {
  const cv = first.spec.cv
  const seeds = first.spec.seeds.length
  return cv ? `${cv.folds} folds${seeds > 1 ? ` x ${seeds} seeds` : ''}` : seeds > 1 ? `${seeds} seeds` : null
}

/** A numeric grid: lines over the values, a band from lowest to highest, the selected point ringed. */
function numericLayers(
  key: string | null,
  xs: number[],
  y: ScoreAxis,
  enc: SeriesEncoding,
  over: string | null,
): unknown[] {
  const logX = xs.every((v) => v > 0)
  const layer: unknown[] = []
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    title:
      key === 'optimizer.lr'
        ? 'learning rate (optimizer.lr, log scale)'
        : `${key}${logX ? ' (log scale)' : ''}`,
    scale: logX ? { type: 'log' as const, domain: padLog(xs), nice: false } : { zero: false },
    axis: { values: [...new Set(xs)].sort((a, b) => a - b), format: '~g' },
  }
  if (over)
    layer.push({
      mark: { type: 'area', opacity: 0.14 },
      encoding: {
        x,
        y: { ...y, field: 'lo' },
        y2: { field: 'hi' },
        color: enc.color,
      },
    })
  layer.push(
    { mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y, ...enc } },
    { mark: { type: 'point', filled: true, size: 45 }, encoding: { x, y, color: enc.color } },
    {
      transform: [{ filter: 'datum.selected' }],
      mark: { type: 'point', filled: false, size: 260, strokeWidth: 2.2, opacity: 1 },
      encoding: { x, y, color: enc.color },
    },
  )
  return layer
}

/** Any other grid: a point per backend at each grid point, with bars, the selected point ringed. */
function nominalLayers(
  first: ExperimentResult,
  backends: string[],
  y: ScoreAxis,
  enc: SeriesEncoding,
  over: string | null,
): unknown[] {
  const layer: unknown[] = []
  const x = {
    field: 'label',
    type: 'nominal' as const,
    title: first.grid.keys.join(', ') || 'grid point',
    sort: null,
    axis: { labelAngle: 0, labelLimit: 160 },
  }
  const xOffset = { field: 'series', type: 'nominal' as const, scale: { domain: backends }, sort: null }
  if (over)
    layer.push({
      mark: { type: 'rule', strokeWidth: 2 },
      encoding: {
        x,
        xOffset,
        y: { ...y, field: 'lo' },
        y2: { field: 'hi' },
        color: enc.color,
      },
    })
  layer.push(
    { mark: { type: 'point', filled: true, size: 60 }, encoding: { x, xOffset, y, color: enc.color } },
    {
      transform: [{ filter: 'datum.selected' }],
      mark: { type: 'point', filled: false, size: 260, strokeWidth: 2.2, opacity: 1 },
      encoding: { x, xOffset, y, color: enc.color },
    },
  )
  return layer
}

/**
 * The selection score of every grid point (CV MSE, or the final training loss without CV), one
 * line per backend, with a band (numeric grid) or error bars (other grids) from the lowest to the
 * highest fold (and seed) value, and the selected point ringed. Log-log when the grid is one
 * positive numeric key, such as optimizer.lr. Null when the grid has fewer than two points.
 */
export function gridChart(group: SpecGroup): TopLevelSpec | null {
  const first = group.results[0] as ExperimentResult
  if (first.grid.points.length < 2) return null
  const backends = backendsOf(group.results)
  const xs = numericGrid(first)
  const key = first.grid.keys.length === 1 ? (first.grid.keys[0] as string) : null
  const { rows, diverged, selected } = gridRows(group.results)
  if (rows.length === 0) return null
  const score = SCORES[first.selection.score] ?? SCORES.train_loss
  // Accuracy lies in [0, 1] and a diverged point scores 0: a linear axis.
  const logY = first.selection.score !== 'cv_accuracy' && rows.every((d) => d.mean > 0)
  const zeroFolds = logY && floorZeroFolds(rows)
  const { colors, dashes } = backendStyles(backends)
  const enc = seriesEncoding(backends, colors, dashes, null)
  const over = spreadOver(first)
  const yTitle = `${score.axis}${logY ? ' (log scale)' : ''}`
  const subtitle = [
    `${score.what} per grid point${over ? `; ${xs ? 'band' : 'bars'}: lowest to highest of ${over}` : ''}`,
    `○ selected: ${perBackend(selected)}`,
  ]
  if (zeroFolds) subtitle[0] += ' (a score of 0 is drawn at the axis floor)'
  if (diverged.length > 0) subtitle.push(`diverged, not drawn: ${diverged.join('; ')}`)
  const y = {
    field: 'mean',
    type: 'quantitative' as const,
    title: yTitle,
    ...(logY ? logAxis(rows.flatMap((d) => [d.lo, d.hi])) : { scale: { zero: false } }),
  }
  const layer = xs ? numericLayers(key, xs, y, enc, over) : nominalLayers(first, backends, y, enc, over)
  const what = key === 'optimizer.lr' ? 'learning-rate grid' : 'grid search'
  return {
    ...frame(`${group.name}: ${what}`, subtitle),
    data: { values: rows },
    layer,
  } as TopLevelSpec
}
