/** The training loss chart. */
import type { ExperimentResult } from '@dualfit/core'
import { paramsLabel } from '@dualfit/report'
import type { TopLevelSpec } from 'vega-lite'
import { thinIndexes } from '../data.js'
import { backendsOf, earlyStoppingRun, finalRun, type SpecGroup } from '../model.js'
import { lossTitle, perBackend, stageText } from './captions.js'
import { logAxis, MAX_EPOCHS, positive } from './scales.js'
import { backendStyles, frame, seriesEncoding } from './style.js'

interface LossSeries {
  lines: { series: string; epoch: number; loss: number }[]
  /** Where each early-stopping run stopped (loss null when it is not drawable on a log scale). */
  stops: { series: string; epoch: number; loss: number | null }[]
  /** Which run each line is. */
  about: { backend: string; text: string }[]
  stopText: { backend: string; text: string }[]
  notes: string[]
}

/** Each backend's final model's loss per epoch, and where its early-stopping run stopped. */
function lossSeries(results: ExperimentResult[]): LossSeries {
  const s: LossSeries = { lines: [], stops: [], about: [], stopText: [], notes: [] }
  for (const r of results) {
    const run = finalRun(r)
    if (!run) continue
    const loss = run.history.loss
    for (const i of thinIndexes(loss.length, MAX_EPOCHS)) {
      const v = loss[i] as number
      if (positive(v)) s.lines.push({ series: r.backend.id, epoch: i + 1, loss: v })
    }
    s.about.push({
      backend: r.backend.id,
      text: `${stageText(run)}${paramsLabel(run.params) ? ` at ${paramsLabel(run.params)}` : ''}, seed ${run.seed}`,
    })
    if (run.diverged) s.notes.push(`${r.backend.id} diverged at epoch ${run.epochsRun}`)
    const es = earlyStoppingRun(r, run.seed)
    if (es) {
      if (es.diverged) s.stopText.push({ backend: r.backend.id, text: 'diverged' })
      else if (es.stoppedEpoch === null)
        s.stopText.push({ backend: r.backend.id, text: `no stop in ${es.epochs}` })
      else {
        const epoch = es.stoppedEpoch + 1
        const v = es.history.loss[es.stoppedEpoch] as number
        s.stops.push({ series: r.backend.id, epoch, loss: positive(v) ? v : null })
        s.stopText.push({ backend: r.backend.id, text: `epoch ${epoch}` })
      }
    }
  }
  return s
}

/**
 * Training loss per epoch of each backend's final model (the refit, else the early-stopping run),
 * on a log y scale, one line per backend; a dashed rule and a triangle mark the epoch where the
 * early-stopping run stopped. Null when no backend has a loss history.
 */
export function lossChart(group: SpecGroup): TopLevelSpec | null {
  const backends = backendsOf(group.results)
  const { lines, stops, about, stopText, notes } = lossSeries(group.results)
  if (lines.length === 0) return null
  const first = group.results[0] as ExperimentResult
  const { colors, dashes } = backendStyles(backends)
  const enc = seriesEncoding(backends, colors, dashes, null)
  const subtitle = [perBackend(about)]
  if (stopText.length > 0) subtitle.push(`▲ early-stopping run stopped: ${perBackend(stopText)}`)
  if (notes.length > 0) subtitle.push(notes.join('; '))
  const x = {
    field: 'epoch',
    type: 'quantitative' as const,
    title: 'epoch',
    axis: { tickMinStep: 1, labelFlush: false, tickCount: 10 },
  }
  const y = {
    field: 'loss',
    type: 'quantitative' as const,
    ...logAxis(lines.map((d) => d.loss)),
    title: lossTitle(first),
  }
  const layer: unknown[] = [
    {
      data: { values: lines },
      mark: { type: 'line', strokeWidth: 2, clip: true },
      encoding: { x, y, ...enc },
    },
  ]
  if (stops.length > 0) {
    layer.push(
      {
        data: { values: stops },
        mark: { type: 'rule', strokeWidth: 1.2, opacity: 0.7, strokeDash: [3, 3] },
        encoding: { x, color: enc.color },
      },
      {
        data: { values: stops.filter((s) => s.loss !== null) },
        mark: { type: 'point', shape: 'triangle-up', filled: true, size: 110, opacity: 1 },
        encoding: { x, y, color: enc.color },
      },
    )
  }
  return {
    ...frame(`${group.name}: training loss per epoch`, subtitle),
    layer,
  } as TopLevelSpec
}
