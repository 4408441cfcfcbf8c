/** The confusion matrix of a classifier. */
import type { ExperimentResult } from '@dualfit/core'
import { num } from '@dualfit/report'
import type { TopLevelSpec } from 'vega-lite'
import { classNames, finalRun } from '../model.js'
import { stageText } from './captions.js'
import { frame } from './style.js'

/** Up to this many classes a cell shows its count; beyond, the cells are too small to read. */
const MAX_LABELLED = 20

/**
 * The confusion matrix of a backend's final model (core's counts[true][predicted], on the test rows
 * when the spec holds some out, else on the training rows) as a heatmap: predicted class across,
 * true class down, in label order, each cell's count written in it. Null for a regression, a run
 * without the matrix, or a diverged one (its argmax is class 0 everywhere).
 */
export function confusionChart(group: { name: string }, r: ExperimentResult): TopLevelSpec | null {
  const classes = classNames(r)
  const run = finalRun(r)
  const confusion = run?.classification?.confusion
  if (!classes || !run || !confusion || run.diverged) return null
  const cells = confusion.counts.flatMap((row, t) =>
    row.map((count, p) => ({ truth: classes[t] ?? String(t), predicted: classes[p] ?? String(p), count })),
  )
  const total = cells.reduce((a, c) => a + c.count, 0)
  const right = cells.reduce((a, c) => a + (c.truth === c.predicted ? c.count : 0), 0)
  const most = Math.max(...cells.map((c) => c.count))
  const axis = (title: string) => ({
    type: 'nominal' as const,
    sort: classes,
    scale: { domain: classes },
    title,
    axis: { labelAngle: 0, labelLimit: 120 },
  })
  const x = { field: 'predicted', ...axis('predicted class') }
  const y = { field: 'truth', ...axis('true class') }
  const layer: unknown[] = [
    {
      mark: { type: 'rect', stroke: '#fff', strokeWidth: 1 },
      encoding: {
        x,
        y,
        color: {
          field: 'count',
          type: 'quantitative',
          scale: { scheme: 'blues', domain: [0, Math.max(most, 1)] },
          legend: { title: 'rows', orient: 'right', direction: 'vertical' },
        },
      },
    },
  ]
  if (classes.length <= MAX_LABELLED)
    layer.push({
      mark: { type: 'text', fontSize: classes.length > 8 ? 10 : 13 },
      encoding: {
        x,
        y,
        text: { field: 'count', type: 'quantitative' },
        // Dark text on the pale cells, white on the dark ones.
        color: { condition: { test: `datum.count > ${most / 2}`, value: '#fff' }, value: '#222' },
      },
    })
  const on = confusion.on === 'test' ? 'held-out test rows' : 'training rows'
  const accuracy = total > 0 ? `accuracy ${num((100 * right) / total, 4)}% (${right} of ${total} right)` : ''
  return {
    ...frame(`${group.name}: confusion matrix, ${r.backend.id}`, [
      `${stageText(run)}, seed ${run.seed}, on its ${total} ${on}${accuracy ? `: ${accuracy}` : ''}`,
    ]),
    data: { values: cells },
    layer,
  } as TopLevelSpec
}
