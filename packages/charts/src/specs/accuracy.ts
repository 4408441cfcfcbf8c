/** The accuracy-per-epoch chart of a classifier. */
import { paramsLabel } from '@dualfit/report'
import type { TopLevelSpec } from 'vega-lite'
import { thinIndexes } from '../data.js'
import { backendsOf, finalRun, type SpecGroup } from '../model.js'
import { perBackend, stageText } from './captions.js'
import { EPOCH_X, MAX_EPOCHS } from './scales.js'
import { backendStyles, frame, seriesEncoding } from './style.js'

type AccuracyRow = { series: string; epoch: number; accuracy: number }

/** The finite values of an accuracy history, at most MAX_EPOCHS of them, as rows of a backend. */
function rowsOf(series: string, values: number[] | undefined): AccuracyRow[] {
  if (!values) return []
  return thinIndexes(values.length, MAX_EPOCHS)
    .map((i) => ({ series, epoch: i + 1, accuracy: values[i] as number }))
    .filter((d) => Number.isFinite(d.accuracy))
}

/**
 * A classifier's accuracy per epoch (the harness's forward pass after each epoch) of each
 * backend's final model, on its training rows (thick) and, when it had some, its validation rows
 * (thin), one colour and dash per backend. Null when no final run kept an accuracy history
 * (regression, or results from before classification).
 */
export function accuracyChart(group: SpecGroup): TopLevelSpec | null {
  const train: AccuracyRow[] = []
  const validation: AccuracyRow[] = []
  const about: { backend: string; text: string }[] = []
  for (const r of group.results) {
    const run = finalRun(r)
    if (!run?.history.accuracy) continue
    train.push(...rowsOf(r.backend.id, run.history.accuracy))
    validation.push(...rowsOf(r.backend.id, run.history.valAccuracy))
    about.push({
      backend: r.backend.id,
      text: `${stageText(run)}${paramsLabel(run.params) ? ` at ${paramsLabel(run.params)}` : ''}, seed ${run.seed}`,
    })
  }
  if (train.length === 0) return null
  const backends = backendsOf(group.results)
  const { colors, dashes } = backendStyles(backends)
  const enc = seriesEncoding(backends, colors, dashes, null)
  const lowest = Math.min(...train.map((d) => d.accuracy), ...validation.map((d) => d.accuracy))
  const x = EPOCH_X
  const y = {
    field: 'accuracy',
    type: 'quantitative' as const,
    title: 'accuracy',
    // From the tenth below the lowest value to 100%: the top is where every model heads.
    scale: { domain: [Math.max(0, Math.floor(lowest * 10) / 10), 1], nice: false },
    axis: { format: '~%' },
  }
  const layer: unknown[] = [
    { data: { values: train }, mark: { type: 'line', strokeWidth: 2.2 }, encoding: { x, y, ...enc } },
  ]
  if (validation.length > 0)
    layer.push({
      data: { values: validation },
      mark: { type: 'line', strokeWidth: 1.1, opacity: 0.7 },
      encoding: { x, y, ...enc },
    })
  const subtitle = [perBackend(about)]
  if (validation.length > 0) subtitle.push('thick: on the training rows; thin: on the validation rows')
  return {
    ...frame(`${group.name}: accuracy per epoch`, subtitle),
    layer,
  } as TopLevelSpec
}
