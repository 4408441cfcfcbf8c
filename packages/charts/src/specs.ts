/**
 * Vega-Lite specs of the report's charts, built from results alone, one chart per file in specs/.
 * Pure functions: the same results give the same spec, so tests can read their series, axes and
 * scales.
 */
import type { TopLevelSpec } from 'vega-lite'
import type { DataPoints } from './data.js'
import { type SpecGroup, uniqueSlugs } from './model.js'
import { accuracyChart } from './specs/accuracy.js'
import { confusionChart } from './specs/confusion.js'
import { gridChart } from './specs/grid.js'
import { lossChart } from './specs/loss.js'
import { predictionChart } from './specs/prediction.js'
import { probabilitiesChart } from './specs/probabilities.js'
import { qualityChart } from './specs/quality.js'
import { REGION_GRID, regionsChart } from './specs/regions.js'
import { seedChart, seedCharts } from './specs/seeds.js'

export { logTicks } from './specs/scales.js'
export { CHART_HEIGHT, CHART_WIDTH, DASHES, FONT_FAMILY, PALETTE, PNG_SCALE } from './specs/style.js'
export {
  accuracyChart,
  confusionChart,
  gridChart,
  lossChart,
  predictionChart,
  probabilitiesChart,
  qualityChart,
  REGION_GRID,
  regionsChart,
  seedChart,
  seedCharts,
}

export type ChartKind =
  | 'loss'
  | 'accuracy'
  | 'quality'
  | 'grid'
  | 'predictions'
  | 'confusion'
  | 'regions'
  | 'probabilities'
  | 'seeds'

export interface Chart {
  kind: ChartKind
  /**
   * Its file name in the report, `<spec>-<name>.svg`: the kind, plus the output's slug when a spec
   * has several (and, for seeds, `at-<input>` when it predicts several inputs), or the backend's
   * slug for the charts drawn per backend (confusion, regions, probabilities).
   */
  name: string
  /** Plain-text title (the spec's own title), for the HTML figure caption and alt text. */
  title: string
  spec: TopLevelSpec
}

/**
 * Every chart that applies to a spec's results, in report order: the predictions one per output,
 * a classifier's confusion matrix and decision regions (two inputs) or class probabilities (one
 * input) one per backend, the seeds one per output
 * and report input.
 */
export function chartsFor(group: SpecGroup, data: DataPoints): Chart[] {
  const outputs = group.results[0]?.data.columns.y ?? []
  const outputNames = uniqueSlugs(outputs, 'output')
  const predictions: [string, () => TopLevelSpec | null][] = outputs.map((_, j) => [
    outputs.length > 1 ? `predictions-${outputNames[j]}` : 'predictions',
    () => predictionChart(group, data, { output: j }),
  ])
  const backendNames = uniqueSlugs(
    group.results.map((r) => r.backend.id),
    'backend',
  )
  const perBackend = (
    kind: 'confusion' | 'regions' | 'probabilities',
    f: (r: (typeof group.results)[number]) => TopLevelSpec | null,
  ) =>
    group.results.map((r, i): [ChartKind, string, () => TopLevelSpec | null] => [
      kind,
      `${kind}-${backendNames[i]}`,
      () => f(r),
    ])
  const make: [ChartKind, string, () => TopLevelSpec | null][] = [
    ['loss', 'loss', () => lossChart(group)],
    ['accuracy', 'accuracy', () => accuracyChart(group)],
    ['quality', 'quality', () => qualityChart(group)],
    ['grid', 'grid', () => gridChart(group)],
    ...predictions.map(([name, f]): [ChartKind, string, () => TopLevelSpec | null] => [
      'predictions',
      name,
      f,
    ]),
    ...perBackend('confusion', (r) => confusionChart(group, r)),
    ...perBackend('regions', (r) => regionsChart(group, r, data)),
    ...perBackend('probabilities', (r) => probabilitiesChart(group, r, data)),
  ]
  const seeds = seedCharts(group).map(({ name, spec }): [ChartKind, string, () => TopLevelSpec | null] => [
    'seeds',
    name,
    () => spec,
  ])
  make.push(...seeds)
  const charts: Chart[] = []
  for (const [kind, name, f] of make) {
    const spec = f()
    if (spec) charts.push({ kind, name, title: titleOf(spec), spec })
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
