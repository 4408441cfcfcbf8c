/**
 * Vega-Lite specs of the report's charts, built from results alone, one chart per file in specs/.
 * Pure functions: the same results give the same spec, so tests can read their series, axes and
 * scales.
 */
import type { TopLevelSpec } from 'vega-lite'
import type { DataPoints } from './data.js'
import type { SpecGroup } from './model.js'
import { gridChart } from './specs/grid.js'
import { lossChart } from './specs/loss.js'
import { predictionChart } from './specs/prediction.js'
import { qualityChart } from './specs/quality.js'
import { seedChart } from './specs/seeds.js'

export { logTicks } from './specs/scales.js'
export { CHART_HEIGHT, CHART_WIDTH, DASHES, FONT_FAMILY, PALETTE, PNG_SCALE } from './specs/style.js'
export { gridChart, lossChart, predictionChart, qualityChart, seedChart }

export type ChartKind = 'loss' | 'quality' | 'grid' | 'predictions' | 'seeds'

export interface Chart {
  kind: ChartKind
  /** Plain-text title (the spec's own title), for the HTML figure caption and alt text. */
  title: string
  spec: TopLevelSpec
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
