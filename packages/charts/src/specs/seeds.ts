/** The spread-over-seeds chart. */
import type { ExperimentResult, TrialResult } from '@dualfit/core'
import type { TopLevelSpec } from 'vega-lite'
import { backendsOf, classNames, finalRun, finalRuns, type SpecGroup, uniqueSlugs } from '../model.js'
import { lossTitle } from './captions.js'
import { logAxis, positive } from './scales.js'
import { backendStyles, frame } from './style.js'

type SeedRow = { series: string; seed: number; value: number }
type Runs = { r: ExperimentResult; runs: TrialResult[] }[]
/** Which prediction a chart shows: output `output` at the `input`-th report input. */
type SeedPick = { output: number; input: number }

const predicted = (t: TrialResult, p: SeedPick): number => t.predictions[p.input]?.y[p.output] ?? Number.NaN

/** Whether every final model has a finite prediction at `p`. */
const predictable = (runs: Runs, p: SeedPick): boolean =>
  runs.every(({ runs }) => runs.every((t) => Number.isFinite(predicted(t, p))))

/** A row per backend and seed: the final model's prediction at `pick`, or its final loss when drawable. */
function seedRows(runs: Runs, pick: SeedPick | null): SeedRow[] {
  const rows: SeedRow[] = []
  for (const { r, runs: list } of runs) {
    for (const t of list) {
      const v = pick ? predicted(t, pick) : t.finalLoss
      if (pick ? Number.isFinite(v) : positive(v)) rows.push({ series: r.backend.id, seed: t.seed, value: v })
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

/** The y axis title: the prediction (of which output, at which input) or the final loss. */
function yTitle(first: ExperimentResult, runs: Runs, pick: SeedPick | null): string {
  if (!pick) return `final ${lossTitle(first)}`
  const x = runs[0]?.runs[0]?.predictions[pick.input]?.x ?? []
  const unitX = first.data.units.x[0]
  const unitY = first.data.units.y[pick.output]
  const outputs = first.data.columns.y
  const what = outputs.length > 1 ? `prediction of ${outputs[pick.output]}` : 'prediction'
  const at = `${x.map((v) => Number(v.toPrecision(6))).join(', ')}${unitX ? ` ${unitX}` : ''}`
  return `${what} at ${at}${unitY ? ` (${unitY})` : ''}`
}

/**
 * Each seed's final model, per backend — its prediction at `pick`, or (when null) its final
 * training loss on a log scale — as points over a min-max box plot, with the exact value when
 * known. Null when there is nothing to draw.
 */
function spreadChart(
  group: SpecGroup,
  runs: Runs,
  pick: SeedPick | null,
  label: string,
): TopLevelSpec | null {
  const first = group.results[0] as ExperimentResult
  const rows = seedRows(runs, pick)
  if (rows.length === 0) return null
  const backends = backendsOf(group.results)
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
  const y = {
    field: 'value',
    type: 'quantitative' as const,
    title: yTitle(first, runs, pick),
    ...(pick ? { scale: { zero: false } } : logAxis(rows.map((d) => d.value))),
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
  const exact = pick ? runs[0]?.runs[0]?.predictions[pick.input]?.exact?.[pick.output] : undefined
  if (exact !== undefined && Number.isFinite(exact))
    layer.push(exactLayer(exact, pick ? first.data.units.y[pick.output] : undefined))
  const what = pick ? 'prediction' : 'final training loss'
  return {
    ...frame(`${group.name}: spread over ${first.spec.seeds.length} seeds${label}`, [
      `${what} of each seed's final model (${finalRun(first)?.stage ?? 'final'}); box: min, quartiles, max`,
    ]),
    data: { values: rows },
    layer,
  } as TopLevelSpec
}

/** A classifier's predictions are class probabilities, not its one column of labels: its seeds show the final loss. */
const classifies = (group: SpecGroup) =>
  group.results[0] !== undefined && classNames(group.results[0]) !== null

/** The final runs of each backend, when the spec ran more than one seed; null otherwise. */
function seedRuns(group: SpecGroup): Runs | null {
  const first = group.results[0]
  if (!first || first.spec.seeds.length < 2) return null
  return group.results.map((r) => ({ r, runs: finalRuns(r) }))
}

/**
 * With more than one seed: the spread of each seed's final prediction of output `output` (default
 * the first) at the `input`-th report input (default the first), per backend, or of its final
 * training loss when that prediction is missing or the model is a classifier. Null with a single seed.
 */
export function seedChart(group: SpecGroup, opts: Partial<SeedPick> = {}): TopLevelSpec | null {
  const runs = seedRuns(group)
  if (!runs) return null
  const pick = { output: opts.output ?? 0, input: opts.input ?? 0 }
  return spreadChart(group, runs, predictable(runs, pick) && !classifies(group) ? pick : null, '')
}

/**
 * Every seeds chart of a spec with more than one seed, named as its file stem: one per output
 * and report input that every final model predicted (`seeds`, plus the output's slug when there
 * are several outputs and `at-<input>` when there are several inputs), or else (and for a
 * classifier) one of the final training loss, `seeds`.
 */
export function seedCharts(group: SpecGroup): { name: string; spec: TopLevelSpec }[] {
  const runs = seedRuns(group)
  if (!runs) return []
  const first = group.results[0] as ExperimentResult
  const outputs = classifies(group) ? [] : first.data.columns.y
  const inputs = (runs[0]?.runs[0]?.predictions ?? []).map((p) =>
    p.x.map((v) => Number(v.toPrecision(6))).join(', '),
  )
  const unitX = first.data.units.x[0]
  const outputSlugs = uniqueSlugs(outputs, 'output')
  const inputSlugs = uniqueSlugs(inputs, 'input')
  const charts: { name: string; spec: TopLevelSpec }[] = []
  for (const [j, output] of outputs.entries()) {
    for (const [i, input] of inputs.entries()) {
      const pick = { output: j, input: i }
      if (!predictable(runs, pick)) continue
      const name = [
        'seeds',
        ...(outputs.length > 1 ? [outputSlugs[j]] : []),
        ...(inputs.length > 1 ? [`at-${inputSlugs[i]}`] : []),
      ]
      const parts = [
        ...(outputs.length > 1 ? [output] : []),
        ...(inputs.length > 1 ? [`at ${input}${unitX ? ` ${unitX}` : ''}`] : []),
      ]
      const label = parts.length > 0 ? `, ${parts.join(' ')}` : ''
      const spec = spreadChart(group, runs, pick, label)
      if (spec) charts.push({ name: name.join('-'), spec })
    }
  }
  if (charts.length > 0) return charts
  const spec = spreadChart(group, runs, null, '')
  return spec ? [{ name: 'seeds', spec }] : []
}
