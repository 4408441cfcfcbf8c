/** The time-to-quality chart. */
import type { ExperimentResult } from '@dualfit/core'
import { duration, num } from '@dualfit/report'
import type { TopLevelSpec } from 'vega-lite'
import { thinIndexes } from '../data.js'
import { backendsOf, finalRun, type SpecGroup } from '../model.js'
import { perBackend } from './captions.js'
import { logAxis, MAX_EPOCHS, positive } from './scales.js'
import { backendStyles, frame, seriesEncoding } from './style.js'

interface QualitySeries {
  lines: { series: string; epoch: number; error: number }[]
  /** Where each line enters the tolerance for good. */
  reached: { series: string; epoch: number; error: number }[]
  when: { backend: string; text: string }[]
  times: string[]
}

/** Each backend's final model's largest |error| per epoch, and when it got within the tolerance. */
function qualitySeries(results: ExperimentResult[]): QualitySeries {
  const s: QualitySeries = { lines: [], reached: [], when: [], times: [] }
  for (const r of results) {
    const run = finalRun(r)
    const error = run?.history.error
    if (!run || !error) continue
    for (const i of thinIndexes(error.length, MAX_EPOCHS)) {
      const v = error[i] as number
      if (positive(v)) s.lines.push({ series: r.backend.id, epoch: i + 1, error: v })
    }
    const q = run.toQuality
    const at = q ? (error[q.epochs - 1] as number) : Number.NaN
    if (q && positive(at)) s.reached.push({ series: r.backend.id, epoch: q.epochs, error: at })
    s.when.push({ backend: r.backend.id, text: q ? `epoch ${q.epochs}, step ${q.steps}` : 'never' })
    const ms = run.timings.toQualityMs
    if (q && typeof ms === 'number') s.times.push(`${r.backend.id} ${duration(ms)}`)
  }
  return s
}

/**
 * Each backend's final |error| at every report input and output, e.g. '100 m: 8.08 ft, 200 m:
 * 17.3 ft': the line is only their largest (results keep one error per epoch).
 */
function finalErrors(results: ExperimentResult[]): string {
  return perBackend(
    results.flatMap((r) => {
      const run = finalRun(r)
      if (!run || run.predictions.length === 0) return []
      const { columns, units } = r.data
      const parts = run.predictions.flatMap((p) => {
        const at = `${p.x.map((v) => num(v, 6)).join(', ')}${p.x.length === 1 && units.x[0] ? ` ${units.x[0]}` : ''}`
        return (p.absError ?? []).map((e, j) => {
          const out = columns.y.length > 1 ? `${columns.y[j]} ` : ''
          return `${out}${at}: ${num(e, 3)}${units.y[j] ? ` ${units.y[j]}` : ''}`
        })
      })
      return parts.length > 0 ? [{ backend: r.backend.id, text: parts.join(', ') }] : []
    }),
  )
}

/**
 * Time to quality: the largest |error| at the report inputs after each epoch of each backend's
 * final model, on a log scale, with the tolerance as a dashed line and a dot where the error
 * enters it for good. Null when no run tracked its error (no exact function).
 */
export function qualityChart(group: SpecGroup): TopLevelSpec | null {
  const backends = backendsOf(group.results)
  const { lines, reached, when, times } = qualitySeries(group.results)
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
  const several = first.spec.report.predict.length > 1 || first.data.columns.y.length > 1
  const subtitle = [
    `● within ${within} for good (time to quality): ${perBackend(when)}${times.length > 0 ? ` (${times.join(', ')})` : ''}`,
  ]
  // The line is the largest error: name each input's, so that none is hidden behind another.
  const errors = several ? finalErrors(group.results) : ''
  if (errors) subtitle.push(`the line is the largest of these; final |error| at each: ${errors}`)
  const where = several ? 'largest error at the report inputs' : 'error at the report input'
  return { ...frame(`${group.name}: ${where} per epoch`, subtitle), layer } as TopLevelSpec
}
