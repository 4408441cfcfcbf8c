/** The training loss chart. */
import type { ExperimentResult } from '@dualfit/core'
import { paramsLabel } from '@dualfit/report'
import type { TopLevelSpec } from 'vega-lite'
import { thinIndexes } from '../data.js'
import { backendsOf, earlyStoppingRun, finalRun, type SpecGroup } from '../model.js'
import { lossTitle, perBackend, stageText } from './captions.js'
import { EPOCH_X, logAxis, MAX_EPOCHS, positive } from './scales.js'
import { backendStyles, CHART_HEIGHT, CHART_WIDTH, frame, seriesEncoding } from './style.js'

interface LossSeries {
  lines: { series: string; epoch: number; loss: number }[]
  /** The lr each epoch ran at (history.lr: runs with a schedule). */
  lrs: { series: string; epoch: number; lr: number }[]
  /** Where each early-stopping run stopped (loss null when it is not drawable on a log scale). */
  stops: { series: string; epoch: number; loss: number | null }[]
  /** Which run each line is. */
  about: { backend: string; text: string }[]
  stopText: { backend: string; text: string }[]
  notes: string[]
}

/** Each backend's final model's loss per epoch, and where its early-stopping run stopped. */
function lossSeries(results: ExperimentResult[]): LossSeries {
  const s: LossSeries = { lines: [], lrs: [], stops: [], about: [], stopText: [], notes: [] }
  for (const r of results) {
    const run = finalRun(r)
    if (!run) continue
    const loss = run.history.loss
    for (const i of thinIndexes(loss.length, MAX_EPOCHS)) {
      const v = loss[i] as number
      if (positive(v)) s.lines.push({ series: r.backend.id, epoch: i + 1, loss: v })
    }
    const lr = run.history.lr ?? []
    for (const i of thinIndexes(lr.length, MAX_EPOCHS)) {
      const v = lr[i] as number
      if (Number.isFinite(v)) s.lrs.push({ series: r.backend.id, epoch: i + 1, lr: v })
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

/** With a learning-rate panel: its height, and the plots' width (the y axes' room taken off). */
const LR_HEIGHT = 70
const PLOT_WIDTH = CHART_WIDTH - 90

/**
 * Training loss per epoch of each backend's final model (the refit, else the early-stopping run),
 * on a log y scale, one line per backend; a dashed rule and a triangle mark the epoch where the
 * early-stopping run stopped. With a schedule (history.lr), the lr per epoch in a panel under it,
 * on the same epochs. Null when no backend has a loss history.
 */
export function lossChart(group: SpecGroup): TopLevelSpec | null {
  const backends = backendsOf(group.results)
  const { lines, lrs, stops, about, stopText, notes } = lossSeries(group.results)
  if (lines.length === 0) return null
  const first = group.results[0] as ExperimentResult
  const { colors, dashes } = backendStyles(backends)
  const enc = seriesEncoding(backends, colors, dashes, null)
  const subtitle = [perBackend(about)]
  if (stopText.length > 0) subtitle.push(`▲ early-stopping run stopped: ${perBackend(stopText)}`)
  if (notes.length > 0) subtitle.push(notes.join('; '))
  const x = EPOCH_X
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
  const framed = frame(`${group.name}: training loss per epoch`, subtitle)
  if (lrs.length === 0) return { ...framed, layer } as TopLevelSpec
  // "fit" sizes single and layered views only: the two panels get their own sizes, about the same
  // overall (the subtitle and legend on top as before).
  const { width: _w, height: _h, ...rest } = framed
  const plotHeight = CHART_HEIGHT - LR_HEIGHT - 150
  return {
    ...rest,
    autosize: { type: 'pad' },
    vconcat: [
      { width: PLOT_WIDTH, height: plotHeight, layer },
      {
        width: PLOT_WIDTH,
        height: LR_HEIGHT,
        data: { values: lrs },
        mark: { type: 'line', strokeWidth: 1.5, interpolate: 'step-after', clip: true },
        encoding: {
          x,
          y: {
            field: 'lr',
            type: 'quantitative',
            title: 'learning rate',
            axis: { tickCount: 3, format: '~g' },
          },
          ...enc,
        },
      },
    ],
    resolve: { scale: { color: 'shared', strokeDash: 'shared' } },
  } as TopLevelSpec
}
