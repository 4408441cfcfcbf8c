/**
 * Vega-Lite specs of the report's charts, built from results alone. Pure functions: the same
 * results give the same spec, so tests can read their series, axes and scales.
 */
import { type ExperimentResult, forwardRow, type TrialResult } from '@dualfit/core'
import { duration, paramsLabel } from '@dualfit/report'
import type { TopLevelSpec } from 'vega-lite'
import { type DataPoints, thinIndexes } from './data.js'
import { backendsOf, earlyStoppingRun, finalRun, finalRuns, type SpecGroup, usableWeights } from './model.js'

/** Every chart is this many CSS pixels, legend and titles included (Vega's autosize "fit"). */
export const CHART_WIDTH = 720
export const CHART_HEIGHT = 360
/** PNGs are drawn at this scale: 1440 x 720 pixels. */
export const PNG_SCALE = 2

/** Fonts with wide coverage on Linux first (resvg reads the system's), then the usual fallbacks. */
export const FONT_FAMILY = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif'

/** Tableau 10, the Vega default: backend k always gets colour k. */
export const PALETTE = [
  '#4c78a8',
  '#f58518',
  '#54a24b',
  '#e45756',
  '#72b7b2',
  '#b279a2',
  '#eeca3b',
  '#9d755d',
  '#ff9da6',
  '#bab0ac',
]
/** Dashes per backend, so that lines that coincide (the usual case) stay visible. */
export const DASHES = [
  [1, 0],
  [8, 5],
  [2, 3],
  [12, 4, 2, 4],
  [4, 4],
  [1, 6],
]

export type ChartKind = 'loss' | 'quality' | 'grid' | 'predictions' | 'seeds'

export interface Chart {
  kind: ChartKind
  /** Plain-text title (the spec's own title), for the HTML figure caption and alt text. */
  title: string
  spec: TopLevelSpec
}

const CONFIG = {
  font: FONT_FAMILY,
  view: { stroke: '#ddd' },
  axis: {
    labelFontSize: 12,
    titleFontSize: 13,
    titleFontWeight: 'normal' as const,
    titleColor: '#333',
    labelColor: '#333',
    gridColor: '#ececec',
    labelOverlap: 'greedy' as const,
    labelSeparation: 6,
  },
  // A y title longer than the plot is tall would push the chart's title off the canvas.
  axisY: { titleLimit: 210 },
  axisX: { titleLimit: 600 },
  legend: {
    labelFontSize: 12,
    titleFontSize: 12,
    orient: 'top' as const,
    direction: 'horizontal' as const,
    symbolStrokeWidth: 2.5,
    labelLimit: 260,
  },
  title: {
    fontSize: 15,
    subtitleFontSize: 12,
    subtitleColor: '#555',
    anchor: 'start' as const,
    offset: 6,
  },
}

const cycle = <T>(list: T[], i: number): T => list[i % list.length] as T

function frame(title: string, subtitle: string[]): Record<string, unknown> {
  return {
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    padding: { left: 10, right: 16, top: 16, bottom: 8 },
    background: 'white',
    title: {
      text: title,
      ...(subtitle.length > 0 ? { subtitle } : {}),
      limit: CHART_WIDTH - 30,
      subtitleLimit: CHART_WIDTH - 30,
    } as never,
    config: CONFIG,
  }
}

/**
 * The colour and dash of each series, with one legend for both whose symbols are short lines in
 * the series' colour and dash (whatever mark comes first), or dots for the series named in `dots`.
 */
function seriesEncoding(
  domain: string[],
  colors: string[],
  dashes: number[][],
  title: string | null,
  dots: string[] = [],
) {
  const isDot = dots.map((d) => `datum.value === ${JSON.stringify(d)}`).join(' || ')
  const when = <T>(dot: T, line: T) => (isDot ? [{ test: isDot, ...dot }, line] : [line])
  const legend = {
    title,
    symbolType: 'stroke',
    symbolSize: 200,
    encode: {
      symbols: {
        update: {
          shape: when({ value: 'circle' }, { value: 'stroke' }),
          stroke: { scale: 'color', field: 'value' },
          strokeDash: when({ value: [1, 0] }, { scale: 'strokeDash', field: 'value' }),
          strokeWidth: { value: 2.5 },
          fill: when({ scale: 'color', field: 'value' }, { value: 'transparent' }),
          opacity: { value: 1 },
        },
      },
    },
  }
  return {
    color: {
      field: 'series',
      type: 'nominal' as const,
      scale: { domain, range: colors },
      legend,
      sort: null,
    },
    strokeDash: {
      field: 'series',
      type: 'nominal' as const,
      scale: { domain, range: dashes },
      legend,
      sort: null,
    },
  }
}

function backendStyles(backends: string[]) {
  return {
    colors: backends.map((_, i) => cycle(PALETTE, i)),
    dashes: backends.map((_, i) => cycle(DASHES, i)),
  }
}

/** At most this many epochs per line (always the first and the last): more only slows the SVG down. */
const MAX_EPOCHS = 1000

const positive = (v: number) => Number.isFinite(v) && v > 0

/** Labels of a log axis: 0.001 to 1000 as plain numbers, beyond that as 1e+4, 1e-5. */
const LOG_LABEL =
  "datum.value >= 1e4 || datum.value < 1e-3 ? format(datum.value, '.0e') : format(datum.value, '~g')"

/**
 * A log axis's ticks for values in [min, max]: the powers of ten around them, with the 2s and 5s
 * between when they span less than three decades (Vega's own ticks crowd 1,000 and 2,000).
 */
export function logTicks(values: number[]): number[] {
  const pos = values.filter(positive)
  if (pos.length === 0) return []
  const lo = Math.floor(Math.log10(Math.min(...pos)) + 1e-9)
  const hi = Math.max(Math.ceil(Math.log10(Math.max(...pos)) - 1e-9), lo + 1)
  const round = (v: number) => Number(v.toPrecision(6))
  if (hi - lo <= 2) {
    const ticks: number[] = []
    for (let e = lo; e < hi; e++) for (const m of [1, 2, 5]) ticks.push(round(m * 10 ** e))
    ticks.push(round(10 ** hi))
    return ticks
  }
  // Every k-th decade, at most 9 labels, the last one at or above the largest value.
  const every = Math.ceil((hi - lo) / 8)
  const ticks: number[] = []
  for (let e = lo; ; e += every) {
    ticks.push(round(10 ** e))
    if (e >= hi) break
  }
  return ticks
}

/** A log domain a little wider than the values, so that the end points are not on the frame. */
function padLog(values: number[]): [number, number] {
  const lo = Math.min(...values)
  const hi = Math.max(...values)
  const f = (hi / lo) ** 0.04
  return [lo / f, hi * f]
}

function logAxis(values: number[]) {
  const ticks = logTicks(values)
  return {
    scale: {
      type: 'log' as const,
      ...(ticks.length > 0 ? { domain: [ticks[0] as number, ticks[ticks.length - 1] as number] } : {}),
    },
    axis: { values: ticks, labelExpr: LOG_LABEL },
  }
}

function stageText(t: TrialResult): string {
  return t.stage === 'refit' ? 'refit' : t.stage === 'early-stopping' ? 'early-stopping run' : 'search run'
}

/** One phrase for all backends when they agree, else one per backend. */
function perBackend(items: { backend: string; text: string }[]): string {
  if (items.length === 0) return ''
  const first = items[0]?.text
  if (items.every((i) => i.text === first)) return first as string
  return items.map((i) => `${i.backend}: ${i.text}`).join('; ')
}

const lossTitle = (r: ExperimentResult) => {
  const name = typeof r.spec.loss === 'object' ? r.spec.loss.name : String(r.spec.loss)
  return r.spec.standardize?.y
    ? `${name.toUpperCase()}, standardized y (log)`
    : `${name.toUpperCase()} loss (log scale)`
}

/**
 * Training loss per epoch of each backend's final model (the refit, else the early-stopping run),
 * on a log y scale, one line per backend; a dashed rule and a triangle mark the epoch where the
 * early-stopping run stopped. Null when no backend has a loss history.
 */
export function lossChart(group: SpecGroup): TopLevelSpec | null {
  const backends = backendsOf(group.results)
  const lines: { series: string; epoch: number; loss: number }[] = []
  const stops: { series: string; epoch: number; loss: number | null }[] = []
  const about: { backend: string; text: string }[] = []
  const stopText: { backend: string; text: string }[] = []
  const notes: string[] = []
  for (const r of group.results) {
    const run = finalRun(r)
    if (!run) continue
    const loss = run.history.loss
    for (const i of thinIndexes(loss.length, MAX_EPOCHS)) {
      const v = loss[i] as number
      if (positive(v)) lines.push({ series: r.backend.id, epoch: i + 1, loss: v })
    }
    about.push({
      backend: r.backend.id,
      text: `${stageText(run)}${paramsLabel(run.params) ? ` at ${paramsLabel(run.params)}` : ''}, seed ${run.seed}`,
    })
    if (run.diverged) notes.push(`${r.backend.id} diverged at epoch ${run.epochsRun}`)
    const es = earlyStoppingRun(r, run.seed)
    if (es) {
      if (es.diverged) stopText.push({ backend: r.backend.id, text: 'diverged' })
      else if (es.stoppedEpoch === null)
        stopText.push({ backend: r.backend.id, text: `no stop in ${es.epochs}` })
      else {
        const epoch = es.stoppedEpoch + 1
        const v = es.history.loss[es.stoppedEpoch] as number
        stops.push({ series: r.backend.id, epoch, loss: positive(v) ? v : null })
        stopText.push({ backend: r.backend.id, text: `epoch ${epoch}` })
      }
    }
  }
  if (lines.length === 0) return null
  const first = group.results[0] as ExperimentResult
  const { colors, dashes } = backendStyles(backends)
  const enc = seriesEncoding(backends, colors, dashes, null)
  const subtitle = [perBackend(about)]
  if (stopText.length > 0) subtitle.push(`▲ early-stopping run stopped: ${perBackend(stopText)}`)
  if (notes.length > 0) subtitle.push(notes.join('; '))
  const x = {
    field: 'epoch',
    type: 'quantitative' as const,
    title: 'epoch',
    axis: { tickMinStep: 1, labelFlush: false, tickCount: 10 },
  }
  const y = {
    field: 'loss',
    type: 'quantitative' as const,
    ...logAxis(lines.map((d) => d.loss)),
    title: lossTitle(first),
  }
  const layer: unknown[] = [
    {
      data: { values: lines },
      mark: { type: 'line', strokeWidth: 2, clip: true },
      encoding: { x, y, ...enc },
    },
  ]
  if (stops.length > 0) {
    layer.push(
      {
        data: { values: stops },
        mark: { type: 'rule', strokeWidth: 1.2, opacity: 0.7, strokeDash: [3, 3] },
        encoding: { x, color: enc.color },
      },
      {
        data: { values: stops.filter((s) => s.loss !== null) },
        mark: { type: 'point', shape: 'triangle-up', filled: true, size: 110, opacity: 1 },
        encoding: { x, y, color: enc.color },
      },
    )
  }
  return {
    ...frame(`${group.name}: training loss per epoch`, subtitle),
    layer,
  } as TopLevelSpec
}

/**
 * Time to quality: the largest |error| at the report inputs after each epoch of each backend's
 * final model, on a log scale, with the tolerance as a dashed line and a dot where the error
 * enters it for good. Null when no run tracked its error (no exact function).
 */
export function qualityChart(group: SpecGroup): TopLevelSpec | null {
  const backends = backendsOf(group.results)
  const lines: { series: string; epoch: number; error: number }[] = []
  const reached: { series: string; epoch: number; error: number }[] = []
  const when: { backend: string; text: string }[] = []
  const times: string[] = []
  for (const r of group.results) {
    const run = finalRun(r)
    const error = run?.history.error
    if (!run || !error) continue
    for (const i of thinIndexes(error.length, MAX_EPOCHS)) {
      const v = error[i] as number
      if (positive(v)) lines.push({ series: r.backend.id, epoch: i + 1, error: v })
    }
    const q = run.toQuality
    const at = q ? (error[q.epochs - 1] as number) : Number.NaN
    if (q && positive(at)) reached.push({ series: r.backend.id, epoch: q.epochs, error: at })
    when.push({ backend: r.backend.id, text: q ? `epoch ${q.epochs}, step ${q.steps}` : 'never' })
    const ms = run.timings.toQualityMs
    if (q && typeof ms === 'number') times.push(`${r.backend.id} ${duration(ms)}`)
  }
  if (lines.length === 0) return null
  const first = group.results[0] as ExperimentResult
  const tolerance = first.spec.report.tolerance
  const unit = first.data.units.y[0] ?? ''
  const within = `${tolerance}${unit ? ` ${unit}` : ''}`
  const { colors, dashes } = backendStyles(backends)
  const enc = seriesEncoding(backends, colors, dashes, null)
  const x = {
    field: 'epoch',
    type: 'quantitative' as const,
    title: 'epoch',
    axis: { tickMinStep: 1, tickCount: 10 },
  }
  const y = {
    field: 'error',
    type: 'quantitative' as const,
    ...logAxis([...lines.map((d) => d.error), tolerance]),
    title: `max |error|${unit ? ` (${unit}, log)` : ' (log)'}`,
  }
  const layer: unknown[] = [
    {
      data: { values: lines },
      mark: { type: 'line', strokeWidth: 2, clip: true },
      encoding: { x, y, ...enc },
    },
    {
      data: { values: [{ error: tolerance }] },
      mark: { type: 'rule', strokeDash: [4, 4], strokeWidth: 1.2, color: '#666' },
      encoding: { y: { field: 'error', type: 'quantitative' } },
    },
    {
      data: { values: [{ error: tolerance, label: `tolerance ${within}` }] },
      mark: { type: 'text', align: 'right', baseline: 'bottom', dx: -4, dy: -3, color: '#666' },
      encoding: {
        y: { field: 'error', type: 'quantitative' },
        x: { value: 'width' },
        text: { field: 'label' },
      },
    },
  ]
  if (reached.length > 0)
    layer.push({
      data: { values: reached },
      mark: { type: 'point', filled: true, size: 90, opacity: 1 },
      encoding: { x, y, color: enc.color },
    })
  return {
    ...frame(`${group.name}: error at the report input per epoch`, [
      `● within ${within} for good (time to quality): ${perBackend(when)}${times.length > 0 ? ` (${times.join(', ')})` : ''}`,
    ]),
    layer,
  } as TopLevelSpec
}

/** The grid's x values: a number per point when the grid is one numeric key, else null. */
function numericGrid(r: ExperimentResult): number[] | null {
  const keys = r.grid.keys
  if (keys.length !== 1) return null
  const key = keys[0] as string
  const xs = r.grid.points.map((p) => p[key])
  return xs.every((v): v is number => typeof v === 'number' && Number.isFinite(v)) ? xs : null
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
  const logX = xs?.every((v) => v > 0) ?? false
  const rows: {
    series: string
    x: number | null
    label: string
    mean: number
    lo: number
    hi: number
    selected: boolean
  }[] = []
  const diverged: string[] = []
  const selected: { backend: string; text: string }[] = []
  for (const r of group.results) {
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
  if (rows.length === 0) return null
  // Log y when every mean is positive; a fold that scored exactly 0 (float32 can) then draws
  // its band down to the axis floor.
  const logY = rows.every((d) => d.mean > 0)
  let zeroFolds = false
  if (logY) {
    const floor = logTicks(rows.flatMap((d) => [d.mean, d.lo, d.hi]))[0] as number
    for (const d of rows)
      if (!(d.lo > 0)) {
        d.lo = floor
        zeroFolds = true
      }
  }
  const { colors, dashes } = backendStyles(backends)
  const enc = seriesEncoding(backends, colors, dashes, null)
  const cv = first.spec.cv
  const seeds = first.spec.seeds.length
  const over = cv
    ? `${cv.folds} folds${seeds > 1 ? ` x ${seeds} seeds` : ''}`
    : seeds > 1
      ? `${seeds} seeds`
      : null
  const scoreName = first.selection.score === 'cv_mse' ? 'CV MSE' : 'final training loss'
  const yTitle = `${scoreName}${logY ? ' (log scale)' : ''}`
  const subtitle = [
    `${first.selection.score === 'cv_mse' ? 'mean held-out MSE' : 'mean final training loss (the grid score)'} per grid point${over ? `; ${xs ? 'band' : 'bars'}: lowest to highest of ${over}` : ''}`,
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
  const layer: unknown[] = []
  if (xs) {
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
  } else {
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
  }
  const what = key === 'optimizer.lr' ? 'learning-rate grid' : 'grid search'
  return {
    ...frame(`${group.name}: ${what}`, subtitle),
    data: { values: rows },
    layer,
  } as TopLevelSpec
}

const axisTitle = (column: string | undefined, unit: string | undefined) =>
  `${column ?? ''}${unit ? ` (${unit})` : ''}`

/**
 * The data points, each backend's final model as a curve over the input range (a float64
 * forward pass of the saved weights) and the dataset's exact function when it has one. Only for
 * one input and one output; null otherwise, or when no range is known (a data file not at hand
 * and no inputs to predict).
 */
export function predictionChart(
  group: SpecGroup,
  data: DataPoints,
  opts: { samples?: number } = {},
): TopLevelSpec | null {
  const first = group.results[0] as ExperimentResult
  if (first.data.columns.x.length !== 1 || first.data.columns.y.length !== 1) return null
  const models = group.results
    .map((r) => ({ r, run: finalRun(r) }))
    .filter((m): m is { r: ExperimentResult; run: TrialResult } => usableWeights(m.r, m.run))
  if (models.length === 0 && data.points.length === 0) return null
  let xs = data.points.map((p) => p[0])
  let rangeNote = ''
  if (xs.length === 0) {
    xs = models.flatMap((m) => m.run.predictions.map((p) => p.x[0] as number)).filter(Number.isFinite)
    rangeNote = 'around the inputs the spec predicts'
  }
  if (xs.length === 0) return null
  let lo = Math.min(...xs)
  let hi = Math.max(...xs)
  if (lo === hi) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) / 2 : 1
    lo -= d
    hi += d
  }
  const pad = (hi - lo) * 0.04
  lo -= pad
  hi += pad
  const n = opts.samples ?? 200
  const grid = Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n)
  const backends = backendsOf(group.results)
  const EXACT = 'exact function'
  const DATA = 'data'
  const series = [...backends, ...(data.exact ? [EXACT] : []), ...(data.points.length > 0 ? [DATA] : [])]
  const { colors, dashes } = backendStyles(backends)
  const colorRange = [
    ...colors,
    ...(data.exact ? ['#222222'] : []),
    ...(data.points.length > 0 ? ['#8a8a8a'] : []),
  ]
  const dashRange = [...dashes, ...(data.exact ? [[2, 3]] : []), ...(data.points.length > 0 ? [[1, 0]] : [])]
  const curves: { series: string; x: number; y: number }[] = []
  for (const { r, run } of models) {
    for (const x of grid) {
      const y = forwardRow({ layers: r.spec.model.layers, weights: run.weights }, [x])[0] as number
      if (Number.isFinite(y)) curves.push({ series: r.backend.id, x, y })
    }
  }
  if (data.exact) {
    for (const x of grid) curves.push({ series: EXACT, x, y: data.exact(x) })
  }
  const enc = seriesEncoding(series, colorRange, dashRange, null, data.points.length > 0 ? [DATA] : [])
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    title: axisTitle(first.data.columns.x[0], first.data.units.x[0]),
    scale: { domain: [lo, hi], nice: false, zero: false },
  }
  const y = {
    field: 'y',
    type: 'quantitative' as const,
    title: axisTitle(first.data.columns.y[0], first.data.units.y[0]),
    scale: { zero: false },
  }
  const layer: unknown[] = []
  if (data.points.length > 0) {
    layer.push({
      data: { values: data.points.map(([px, py]) => ({ series: DATA, x: px, y: py })) },
      mark: {
        type: 'point',
        filled: true,
        size: data.points.length > 200 ? 14 : 55,
        opacity: data.points.length > 200 ? 0.45 : 0.85,
      },
      encoding: { x, y, color: enc.color },
    })
  }
  layer.push({
    data: { values: curves },
    mark: { type: 'line', strokeWidth: 2, clip: true },
    encoding: { x, y, ...enc },
  })
  const runs = perBackend(
    models.map(({ r, run }) => ({ backend: r.backend.id, text: `${stageText(run)}, seed ${run.seed}` })),
  )
  const source =
    data.points.length > 0
      ? `${data.rows} rows of ${first.data.name}${data.rows > data.points.length ? ` (${data.points.length} drawn)` : ''}`
      : data.source === 'none' && 'file' in first.spec.dataset
        ? `data file not at hand: model curves only, ${rangeNote || 'over the data range'}`
        : `model curves ${rangeNote}`
  const subtitle = [`${source} · model: ${runs || 'none usable'}`]
  const missing = group.results.filter((r) => !models.some((m) => m.r === r)).map((r) => r.backend.id)
  if (missing.length > 0) subtitle.push(`no usable model (diverged or none): ${missing.join(', ')}`)
  return {
    ...frame(`${group.name}: model vs data`, subtitle),
    layer,
  } as TopLevelSpec
}

/**
 * With more than one seed: each seed's final model, per backend — its prediction for the spec's
 * first input to predict, or (without one) its final training loss on a log scale — as points
 * over a min-max box plot, with the exact value when known. Null with a single seed.
 */
export function seedChart(group: SpecGroup): TopLevelSpec | null {
  const first = group.results[0] as ExperimentResult
  if (first.spec.seeds.length < 2) return null
  const backends = backendsOf(group.results)
  const runs = group.results.map((r) => ({ r, runs: finalRuns(r) }))
  const usePrediction = runs.every(({ runs }) =>
    runs.every((t) => Number.isFinite(t.predictions[0]?.y[0] ?? Number.NaN)),
  )
  const rows: { series: string; seed: number; value: number }[] = []
  for (const { r, runs: list } of runs) {
    for (const t of list) {
      const v = usePrediction ? (t.predictions[0]?.y[0] as number) : t.finalLoss
      if (usePrediction ? Number.isFinite(v) : positive(v))
        rows.push({ series: r.backend.id, seed: t.seed, value: v })
    }
  }
  if (rows.length === 0) return null
  const firstPred = runs[0]?.runs[0]?.predictions[0]
  const exact = usePrediction ? firstPred?.exact?.[0] : undefined
  const { colors } = backendStyles(backends)
  const color = {
    field: 'series',
    type: 'nominal' as const,
    scale: { domain: backends, range: colors },
    legend: null,
    sort: null,
  }
  const x = {
    field: 'series',
    type: 'nominal' as const,
    title: 'backend',
    sort: backends,
    axis: { labelAngle: 0 },
  }
  const unitY = first.data.units.y[0]
  const inX = firstPred
    ? `${firstPred.x.map((v) => Number(v.toPrecision(6))).join(', ')}${first.data.units.x[0] ? ` ${first.data.units.x[0]}` : ''}`
    : ''
  const yTitle = usePrediction
    ? `prediction at ${inX}${unitY ? ` (${unitY})` : ''}`
    : `final ${lossTitle(first)}`
  const y = {
    field: 'value',
    type: 'quantitative' as const,
    title: yTitle,
    ...(usePrediction ? { scale: { zero: false } } : logAxis(rows.map((d) => d.value))),
  }
  const layer: unknown[] = [
    {
      mark: { type: 'boxplot', extent: 'min-max', size: 46, opacity: 0.35, median: { color: '#333' } },
      encoding: { x, y, color },
    },
    {
      mark: { type: 'point', filled: true, size: 70, opacity: 0.85, stroke: '#fff', strokeWidth: 0.8 },
      encoding: { x, y, color, tooltip: [{ field: 'seed' }, { field: 'value' }] },
    },
  ]
  if (exact !== undefined && Number.isFinite(exact)) {
    layer.push({
      data: {
        values: [{ value: exact, label: `exact ${Number(exact.toPrecision(7))}${unitY ? ` ${unitY}` : ''}` }],
      },
      layer: [
        {
          mark: { type: 'rule', strokeDash: [4, 3], color: '#222' },
          encoding: { y: { field: 'value', type: 'quantitative' } },
        },
        {
          mark: {
            type: 'text',
            align: 'right',
            baseline: 'bottom',
            dy: -3,
            x: 'width',
            dx: -4,
            color: '#222',
          },
          encoding: { y: { field: 'value', type: 'quantitative' }, text: { field: 'label' } },
        },
      ],
    })
  }
  const what = usePrediction ? 'prediction' : 'final training loss'
  return {
    ...frame(`${group.name}: spread over ${first.spec.seeds.length} seeds`, [
      `${what} of each seed's final model (${finalRun(first)?.stage ?? 'final'}); box: min, quartiles, max`,
    ]),
    data: { values: rows },
    layer,
  } as TopLevelSpec
}

/** Every chart that applies to a spec's results, in report order. */
export function chartsFor(group: SpecGroup, data: DataPoints): Chart[] {
  const make: [ChartKind, () => TopLevelSpec | null][] = [
    ['loss', () => lossChart(group)],
    ['quality', () => qualityChart(group)],
    ['grid', () => gridChart(group)],
    ['predictions', () => predictionChart(group, data)],
    ['seeds', () => seedChart(group)],
  ]
  const charts: Chart[] = []
  for (const [kind, f] of make) {
    const spec = f()
    if (spec) charts.push({ kind, title: titleOf(spec), spec })
  }
  return charts
}

/** The title text of a spec. */
export function titleOf(spec: TopLevelSpec): string {
  const t = (spec as { title?: unknown }).title
  if (typeof t === 'string') return t
  const text = (t as { text?: unknown } | undefined)?.text
  return Array.isArray(text) ? text.join(' ') : String(text ?? '')
}
