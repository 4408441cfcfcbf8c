/** The decision regions of a two-input classifier. */
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

/** Cells of the grid the model is evaluated on: 5 x 5 pixels of the 720 x 360 chart. */
export const REGION_GRID = { x: 144, y: 72 }

/** A class's colour mixed with white, for its region under the (full-colour) data points. */
function tint(hex: string, strength = 0.3): string {
  const channel = (i: number) => {
    const v = Number.parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16)
    return Math.round(255 - (255 - v) * strength)
      .toString(16)
      .padStart(2, '0')
  }
  return `#${channel(0)}${channel(1)}${channel(2)}`
}

/** The class the model picks for each of n two-input rows: core's float64 forward pass, then argmax. */
function predictClasses(r: ExperimentResult, run: TrialResult, x: Float64Array, n: number): number[] {
  const { layers } = r.spec.model
  const out = forwardRows({ layers, weights: run.weights }, x, n)
  const probs = modelProbabilities(layers, out)
  return Array.from({ length: n }, (_, i) => argmaxRow(probs.p, probs.classes, i))
}

/** A run of cells of one class, with its shade (a colour, not a scale: Vega-Lite would merge its legend with the points'). */
type Cell = { cls: string; shade: string; x: number; x2: number; y: number; y2: number }

/**
 * The predicted class over a grid on [xlo, xhi] x [ylo, yhi], each model evaluated at the cells'
 * centres; neighbouring cells of one row that agree are one rectangle (a few per row, not 144).
 */
function regionCells(
  r: ExperimentResult,
  run: TrialResult,
  classes: string[],
  [xlo, xhi]: [number, number],
  [ylo, yhi]: [number, number],
): Cell[] {
  const { x: nx, y: ny } = REGION_GRID
  const dx = (xhi - xlo) / nx
  const dy = (yhi - ylo) / ny
  const grid = new Float64Array(nx * ny * 2)
  for (let j = 0; j < ny; j++)
    for (let i = 0; i < nx; i++) {
      grid[2 * (j * nx + i)] = xlo + (i + 0.5) * dx
      grid[2 * (j * nx + i) + 1] = ylo + (j + 0.5) * dy
    }
  const picked = predictClasses(r, run, grid, nx * ny)
  const cells: Cell[] = []
  for (let j = 0; j < ny; j++) {
    let start = 0
    for (let i = 1; i <= nx; i++) {
      const k = picked[j * nx + start] as number
      if (i < nx && picked[j * nx + i] === k) continue
      const cls = classes[k] ?? String(k)
      cells.push({
        cls,
        shade: tint(classColor(k)),
        x: xlo + start * dx,
        x2: xlo + i * dx,
        y: ylo + j * dy,
        y2: ylo + (j + 1) * dy,
      })
      start = i
    }
  }
  return cells
}

/**
 * The decision regions of a backend's final model on two-input data: the class it predicts over a
 * grid spanning the data (and the inputs the spec predicts), a float64 forward pass of its saved
 * weights, shaded by class; the data points over it, coloured by their true class, a cross where
 * the model picks another. Null unless the result is a classifier of two inputs with a usable
 * model and a known range (the data, or inputs to predict).
 */
export function regionsChart(
  group: { name: string },
  r: ExperimentResult,
  data: DataPoints,
): TopLevelSpec | null {
  const drawable = drawableClassifier(r, 2)
  if (!drawable) return null
  const { classes, run } = drawable
  const inputs = [...data.points.map((p) => [p[0], p[1] as number]), ...run.predictions.map((p) => p.x)]
  const xRange = paddedRange(inputs.map((p) => p[0] as number))
  const yRange = paddedRange(inputs.map((p) => p[1] as number))
  if (!xRange || !yRange) return null
  const cells = regionCells(r, run, classes, xRange, yRange)
  const picked = predictClasses(
    r,
    run,
    Float64Array.from(data.points.flatMap((p) => [p[0], p[1] as number])),
    data.points.length,
  )
  const points = data.points.map((p, i) => ({
    x: p[0],
    y: p[1] as number,
    cls: classes[p[2] as number] ?? String(p[2]),
    wrong: picked[i] !== p[2],
  }))
  const [xName, yName] = r.data.columns.x
  const [xUnit, yUnit] = r.data.units.x
  const x = inputAxis('x', xName, xUnit, xRange)
  const y = inputAxis('y', yName, yUnit, yRange)
  const layer: unknown[] = [
    {
      data: { values: cells },
      // A hairline of the cell's own shade hides the seams antialiasing leaves between rows.
      mark: { type: 'rect', strokeWidth: 0.6 },
      encoding: {
        x,
        x2: { field: 'x2' },
        y,
        y2: { field: 'y2' },
        fill: { field: 'shade', type: 'nominal', scale: null },
        stroke: { field: 'shade', type: 'nominal', scale: null },
      },
    },
  ]
  if (points.length > 0) layer.push(classPointsLayer(points, classes, x, y))
  const about = classPointsAbout(r, data, points, 'by true class', 'regions only')
  return {
    ...frame(`${group.name}: decision regions, ${r.backend.id}`, [
      `shade: the class the ${stageText(run)} (seed ${run.seed}) predicts (float64 forward pass of its weights, ${REGION_GRID.x} x ${REGION_GRID.y} grid)`,
      about,
    ]),
    layer,
  } as TopLevelSpec
}
