/** The spread-over-seeds chart. */
import type { ExperimentResult, TrialResult } from '@dualfit/core'
import type { TopLevelSpec } from 'vega-lite'
import { backendsOf, finalRun, finalRuns, type SpecGroup } from '../model.js'
import { lossTitle } from './captions.js'
import { logAxis, positive } from './scales.js'
import { backendStyles, frame } from './style.js'

type SeedRow = { series: string; seed: number; value: number }

/** A row per backend and seed: the final model's prediction, or its final loss when drawable. */
function seedRows(runs: { r: ExperimentResult; runs: TrialResult[] }[], usePrediction: boolean): SeedRow[] {
  const rows: SeedRow[] = []
  for (const { r, runs: list } of runs) {
    for (const t of list) {
      const v = usePrediction ? (t.predictions[0]?.y[0] as number) : t.finalLoss
      if (usePrediction ? Number.isFinite(v) : positive(v))
        rows.push({ series: r.backend.id, seed: t.seed, value: v })
    }
  }
  return rows
}

/** A dashed rule at the exact value, labelled at the right edge. */
function exactLayer(exact: number, unitY: string | undefined): unknown {
  return {
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
  }
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
  const rows = seedRows(runs, usePrediction)
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
  if (exact !== undefined && Number.isFinite(exact)) layer.push(exactLayer(exact, unitY))
  const what = usePrediction ? 'prediction' : 'final training loss'
  return {
    ...frame(`${group.name}: spread over ${first.spec.seeds.length} seeds`, [
      `${what} of each seed's final model (${finalRun(first)?.stage ?? 'final'}); box: min, quartiles, max`,
    ]),
    data: { values: rows },
    layer,
  } as TopLevelSpec
}
