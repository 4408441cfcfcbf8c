/** The model-vs-data chart. */
import { type ExperimentResult, forwardRow, type TrialResult } from '@dualfit/core'
import type { TopLevelSpec } from 'vega-lite'
import type { DataPoints } from '../data.js'
import { backendsOf, finalRun, type SpecGroup, usableWeights } from '../model.js'
import { perBackend, stageText } from './captions.js'
import { backendStyles, frame, type SeriesEncoding, seriesEncoding } from './style.js'

type Model = { r: ExperimentResult; run: TrialResult }

const EXACT = 'exact function'
const DATA = 'data'

const axisTitle = (column: string | undefined, unit: string | undefined) =>
  `${column ?? ''}${unit ? ` (${unit})` : ''}`

/**
 * The x range to draw, a little wider than the data's, or (without data) than the inputs the
 * spec predicts, with a note saying so; null when neither is known.
 */
function inputRange(data: DataPoints, models: Model[]): { lo: number; hi: number; rangeNote: string } | null {
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
  return { lo, hi, rangeNote }
}

/** Each model's forward pass at the `grid` inputs, then the exact function's. */
function modelCurves(
  models: Model[],
  data: DataPoints,
  grid: number[],
): { series: string; x: number; y: number }[] {
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
  return curves
}

/** The data points, when there are any, under the curves. */
function predictionLayers(
  data: DataPoints,
  curves: { series: string; x: number; y: number }[],
  x: Record<string, unknown>,
  y: Record<string, unknown>,
  enc: SeriesEncoding,
): unknown[] {
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
  return layer
}

/** Where the points come from, which run each curve is, and the backends with no usable model. */
function predictionSubtitle(
  group: SpecGroup,
  data: DataPoints,
  models: Model[],
  rangeNote: string,
): string[] {
  const first = group.results[0] as ExperimentResult
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
  return subtitle
}

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
    .filter((m): m is Model => usableWeights(m.r, m.run))
  if (models.length === 0 && data.points.length === 0) return null
  const range = inputRange(data, models)
  if (!range) return null
  const { lo, hi } = range
  const n = opts.samples ?? 200
  const grid = Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n)
  const backends = backendsOf(group.results)
  const series = [...backends, ...(data.exact ? [EXACT] : []), ...(data.points.length > 0 ? [DATA] : [])]
  const { colors, dashes } = backendStyles(backends)
  const colorRange = [
    ...colors,
    ...(data.exact ? ['#222222'] : []),
    ...(data.points.length > 0 ? ['#8a8a8a'] : []),
  ]
  const dashRange = [...dashes, ...(data.exact ? [[2, 3]] : []), ...(data.points.length > 0 ? [[1, 0]] : [])]
  const curves = modelCurves(models, data, grid)
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
  return {
    ...frame(`${group.name}: model vs data`, predictionSubtitle(group, data, models, range.rangeNote)),
    layer: predictionLayers(data, curves, x, y, enc),
  } as TopLevelSpec
}
