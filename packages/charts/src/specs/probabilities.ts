/** The class probabilities of a one-input classifier along its input. */
import {
  argmaxRow,
  type ExperimentResult,
  forwardRows,
  modelProbabilities,
  type TrialResult,
} from '@dualfit/core'
import type { TopLevelSpec } from 'vega-lite'
import type { DataPoints } from '../data.js'
import { stageText } from './captions.js'
import { classPointsAbout, classPointsLayer, drawableClassifier, inputAxis } from './class-points.js'
import { paddedRange } from './scales.js'
import { classColor, frame } from './style.js'

/** Points the curves are evaluated at, across the chart's width. */
export const PROBABILITY_STEPS = 240

/** Each row's class probabilities (row-major, `classes` per row): core's float64 forward pass. */
function probabilitiesAt(r: ExperimentResult, run: TrialResult, x: Float64Array) {
  const { layers } = r.spec.model
  return modelProbabilities(layers, forwardRows({ layers, weights: run.weights }, x, x.length))
}

/**
 * What a backend's final model makes of a one-input classification: each class's probability along
 * the input (a float64 forward pass of its saved weights), with the data points on their own
 * class's curve, coloured by true class, a cross where the model picks another. The one-input
 * counterpart of the decision regions; null unless the result is a classifier of one input with a
 * usable model and a known range (the data, or inputs to predict).
 */
export function probabilitiesChart(
  group: { name: string },
  r: ExperimentResult,
  data: DataPoints,
): TopLevelSpec | null {
  const drawable = drawableClassifier(r, 1)
  if (!drawable) return null
  const { classes, run } = drawable
  const range = paddedRange([
    ...data.points.map((p) => p[0]),
    ...run.predictions.map((p) => p.x[0] as number),
  ])
  if (!range) return null
  const [lo, hi] = range
  const along = Float64Array.from(
    { length: PROBABILITY_STEPS + 1 },
    (_, i) => lo + ((hi - lo) * i) / PROBABILITY_STEPS,
  )
  const curve = probabilitiesAt(r, run, along)
  const curves = Array.from(along).flatMap((x, i) =>
    classes.map((cls, k) => ({ x, y: curve.p[i * curve.classes + k] as number, cls })),
  )
  const at = probabilitiesAt(
    r,
    run,
    Float64Array.from(data.points, (p) => p[0]),
  )
  const points = data.points.map((pt, i) => {
    const k = pt[1] as number
    return {
      x: pt[0],
      y: at.p[i * at.classes + k] as number,
      cls: classes[k] ?? String(k),
      wrong: argmaxRow(at.p, at.classes, i) !== k,
    }
  })
  const [name] = r.data.columns.x
  const [unit] = r.data.units.x
  const x = inputAxis('x', name, unit, range)
  const y = {
    field: 'y',
    type: 'quantitative' as const,
    title: 'probability',
    scale: { domain: [0, 1] },
  }
  const color = {
    field: 'cls',
    type: 'nominal' as const,
    scale: { domain: classes, range: classes.map((_, k) => classColor(k)) },
    legend: { title: 'class' },
  }
  const layer: unknown[] = [
    { data: { values: curves }, mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y, color } },
  ]
  if (points.length > 0) layer.push(classPointsLayer(points, classes, x, y, 'class'))
  const about = classPointsAbout(r, data, points, "on their true class's curve", 'curves only')
  return {
    ...frame(`${group.name}: class probabilities, ${r.backend.id}`, [
      `lines: each class's probability under the ${stageText(run)} (seed ${run.seed}), a float64 forward pass of its weights`,
      about,
    ]),
    layer,
  } as TopLevelSpec
}
