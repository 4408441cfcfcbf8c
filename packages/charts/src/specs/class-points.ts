/** The data points of a classifier's model-over-data charts (decision regions, class probabilities). */
import type { ExperimentResult, TrialResult } from '@dualfit/core'
import type { DataPoints } from '../data.js'
import { classNames, finalRun, usableWeights } from '../model.js'
import { classColor } from './style.js'

/** A classifier's class names and final run, when it takes `inputs` inputs and its model is usable. */
export function drawableClassifier(
  r: ExperimentResult,
  inputs: number,
): { classes: string[]; run: TrialResult } | null {
  const classes = classNames(r)
  const run = finalRun(r)
  if (!classes || r.data.columns.x.length !== inputs || !usableWeights(r, run)) return null
  return { classes, run }
}

/** An input's axis, titled with its name and unit, over exactly `domain`. */
export const inputAxis = (
  field: string,
  name: string | undefined,
  unit: string | undefined,
  domain: [number, number],
) => ({
  field,
  type: 'quantitative' as const,
  title: `${name ?? ''}${unit ? ` (${unit})` : ''}`,
  scale: { domain, nice: false, zero: false },
})

/** A row drawn: where, its true class, and whether the model picks another. */
export interface ClassPoint {
  x: number
  y: number
  cls: string
  wrong: boolean
}

/**
 * The points' layer: filled by true class, a cross where the model picks another class. `legend`
 * titles the colours (a chart whose other layer colours by class too shares the one legend).
 */
export function classPointsLayer(
  points: ClassPoint[],
  classes: string[],
  x: unknown,
  y: unknown,
  legend = 'true class',
) {
  return {
    data: { values: points },
    mark: {
      type: 'point',
      filled: true,
      size: points.length > 200 ? 22 : 50,
      opacity: 0.9,
      stroke: '#fff',
      strokeWidth: 0.6,
    },
    encoding: {
      x,
      y,
      color: {
        field: 'cls',
        type: 'nominal',
        scale: { domain: classes, range: classes.map((_, k) => classColor(k)) },
        legend: { title: legend },
      },
      shape: {
        field: 'wrong',
        type: 'nominal',
        scale: { domain: [false, true], range: ['circle', 'cross'] },
        legend: null,
      },
    },
  }
}

/** The caption line about the points: how many, where, how many the model gets wrong; or why none. */
export function classPointsAbout(
  r: ExperimentResult,
  data: DataPoints,
  points: ClassPoint[],
  where: string,
  without: string,
): string {
  if (points.length === 0)
    return `data ${data.source === 'none' && 'file' in r.spec.dataset ? 'file not at hand' : 'not known'}: ${without}, around the inputs the spec predicts`
  const shown = data.rows > points.length ? ` (${points.length} drawn)` : ''
  const wrong = points.filter((p) => p.wrong).length
  return `points: ${data.rows} rows of ${r.data.name} ${where}${shown}; ✕ the model picks another class: ${wrong}`
}
