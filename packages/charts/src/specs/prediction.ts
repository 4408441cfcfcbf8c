/** The model-vs-data chart. */
import { type ExperimentResult, forwardRow, type TrialResult } from '@dualfit/core'
import type { TopLevelSpec } from 'vega-lite'
import type { DataPoints } from '../data.js'
import { backendsOf, classNames, finalRun, type SpecGroup, usableWeights } from '../model.js'
import { perBackend, stageText } from './captions.js'
import { paddedRange } from './scales.js'
import { backendStyles, frame, type SeriesEncoding, seriesEncoding } from './style.js'

type Model = { r: ExperimentResult; run: TrialResult }

const EXACT = 'exact function'
const DATA = 'data'

const axisTitle = (column: string | undefined, unit: string | undefined) =>
  `${column ?? ''}${unit ? ` (${unit})` : ''}`

/** The report inputs each model predicted, at output `j`, in the backends' colours. */
function reportPoints(models: Model[], j: number): { series: string; x: number; y: number }[] {
  return models.flatMap(({ r, run }) =>
    run.predictions
      .map((p) => ({ series: r.backend.id, x: p.x[0] as number, y: p.y[j] as number }))
      .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)),
  )
}

/**
 * The x range to draw, a little wider than the data's and the inputs the spec predicts (so that
 * every prediction is on the chart), with a note when there are no data; null when neither is known.
 */
function inputRange(
  data: DataPoints,
  predicted: number[],
): { lo: number; hi: number; rangeNote: string } | null {
  const range = paddedRange([...data.points.map((p) => p[0]), ...predicted])
  if (!range) return null
  const rangeNote = data.points.length === 0 ? 'around the inputs the spec predicts' : ''
  return { lo: range[0], hi: range[1], rangeNote }
}

/** Each model's forward pass at the `grid` inputs (output `j`), then the exact function's. */
function modelCurves(
  models: Model[],
  exact: ((x: number) => number) | undefined,
  grid: number[],
  j: number,
): { series: string; x: number; y: number }[] {
  const curves: { series: string; x: number; y: number }[] = []
  for (const { r, run } of models) {
    for (const x of grid) {
      const y = forwardRow({ layers: r.spec.model.layers, weights: run.weights }, [x])[j] as number
      if (Number.isFinite(y)) curves.push({ series: r.backend.id, x, y })
    }
  }
  if (exact) {
    for (const x of grid) curves.push({ series: EXACT, x, y: exact(x) })
  }
  return curves
}

type XY = { series: string; x: number; y: number }

/** The data points (output `j`), when there are any, under the curves; the predictions over them. */
function predictionLayers(
  data: DataPoints,
  j: number,
  lines: { curves: XY[]; predicted: XY[] },
  x: Record<string, unknown>,
  y: Record<string, unknown>,
  enc: SeriesEncoding,
): unknown[] {
  const layer: unknown[] = []
  if (data.points.length > 0) {
    layer.push({
      data: { values: data.points.map((p) => ({ series: DATA, x: p[0], y: p[j + 1] })) },
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
    data: { values: lines.curves },
    mark: { type: 'line', strokeWidth: 2, clip: true },
    encoding: { x, y, ...enc },
  })
  if (lines.predicted.length > 0)
    layer.push({
      data: { values: lines.predicted },
      mark: {
        type: 'point',
        shape: 'diamond',
        filled: true,
        size: 110,
        opacity: 1,
        stroke: '#fff',
        strokeWidth: 0.8,
      },
      encoding: { x, y, color: enc.color },
    })
  return layer
}

/** Where the points come from, which run each curve is, the predictions, and the backends with no usable model. */
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
  const inputs = [...new Set(models.flatMap((m) => m.run.predictions.map((p) => p.x[0] as number)))]
  if (inputs.length > 0) {
    const unit = first.data.units.x[0]
    subtitle.push(
      `◆ prediction at ${inputs.map((v) => Number(v.toPrecision(6))).join(', ')}${unit ? ` ${unit}` : ''}`,
    )
  }
  const missing = group.results.filter((r) => !models.some((m) => m.r === r)).map((r) => r.backend.id)
  if (missing.length > 0) subtitle.push(`no usable model (diverged or none): ${missing.join(', ')}`)
  return subtitle
}

/**
 * The data points of output `output` (default the first), each backend's final model as a curve
 * over the input range (a float64 forward pass of the saved weights), its predictions at the
 * report inputs, and the dataset's exact function when it has one. Only for a regression of one
 * input; null otherwise (a classifier's outputs are logits or probabilities, not its data's
 * column: see the decision regions), for an output the data do not have, or when no range is known
 * (a data file not at hand and no inputs to predict).
 */
export function predictionChart(
  group: SpecGroup,
  data: DataPoints,
  opts: { samples?: number; output?: number } = {},
): TopLevelSpec | null {
  const first = group.results[0] as ExperimentResult
  const j = opts.output ?? 0
  const outputs = first.data.columns.y
  if (first.data.columns.x.length !== 1 || j >= outputs.length || classNames(first)) return null
  const models = group.results
    .map((r) => ({ r, run: finalRun(r) }))
    .filter((m): m is Model => usableWeights(m.r, m.run))
  if (models.length === 0 && data.points.length === 0) return null
  const predicted = reportPoints(models, j)
  const range = inputRange(
    data,
    predicted.map((p) => p.x),
  )
  if (!range) return null
  const { lo, hi } = range
  const n = opts.samples ?? 200
  const grid = Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n)
  // A built-in dataset's exact function has one output.
  const exact = outputs.length === 1 ? data.exact : undefined
  const backends = backendsOf(group.results)
  const hasData = data.points.length > 0
  const series = [...backends, ...(exact ? [EXACT] : []), ...(hasData ? [DATA] : [])]
  const { colors, dashes } = backendStyles(backends)
  const colorRange = [...colors, ...(exact ? ['#222222'] : []), ...(hasData ? ['#8a8a8a'] : [])]
  const dashRange = [...dashes, ...(exact ? [[2, 3]] : []), ...(hasData ? [[1, 0]] : [])]
  const curves = modelCurves(models, exact, grid, j)
  const enc = seriesEncoding(series, colorRange, dashRange, null, hasData ? [DATA] : [])
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    title: axisTitle(first.data.columns.x[0], first.data.units.x[0]),
    scale: { domain: [lo, hi], nice: false, zero: false },
  }
  const y = {
    field: 'y',
    type: 'quantitative' as const,
    title: axisTitle(outputs[j], first.data.units.y[j]),
    scale: { zero: false },
  }
  const what = outputs.length > 1 ? `model vs data, ${outputs[j]}` : 'model vs data'
  return {
    ...frame(`${group.name}: ${what}`, predictionSubtitle(group, data, models, range.rangeNote)),
    layer: predictionLayers(data, j, { curves, predicted }, x, y, enc),
  } as TopLevelSpec
}
