// A classifier's charts (accuracy, confusion matrix, decision regions, class probabilities) and its try-it box.
import type { ExperimentResult, TrialResult } from '@dualfit/core'
import { describe, expect, it } from 'vitest'
import {
  buildReport,
  chartsFor,
  confusionChart,
  dataPoints,
  groupBySpec,
  predictionChart,
  probabilitiesChart,
  REGION_GRID,
  regionsChart,
  type SpecGroup,
  seedCharts,
} from '../src/index.js'
import { result, trial } from './fixtures.js'

// biome-ignore lint/suspicious/noExplicitAny: specs are read as plain JSON here
type Json = any

const IRIS_CLASSES = ['setosa', 'versicolor', 'virginica']

const group = (...results: ExperimentResult[]): SpecGroup => groupBySpec(results)[0] as SpecGroup

/** A classifier's final run: its loss and accuracy per epoch, its confusion counts and weights. */
function classifierTrial(stage: TrialResult['stage'], o: Partial<TrialResult>): TrialResult {
  return trial(stage, {
    history: { loss: [0.7, 0.5, 0.4, 0.3], accuracy: [0.5, 0.7, 0.8, 0.85] },
    finalLoss: 0.3,
    predictions: [],
    ...o,
  })
}

/**
 * moons (2 inputs, binary_cross_entropy): one logit 1 - 4 x2, so the model picks class '1' below
 * x2 = 0.25 and class '0' above it.
 */
function moons(backend: string, o: { classes?: string[]; seeds?: number[] } = {}): ExperimentResult {
  const classes = o.classes ?? ['0', '1']
  const r = result(backend, {
    spec: {
      name: 'moons',
      dataset: { builtin: 'moons', rows: 40 },
      loss: 'binary_cross_entropy',
      model: { layers: [{ units: 1 }] },
      seeds: o.seeds ?? [0],
      report: { predict: [[0.5, 0.25]] },
    },
    data: {
      name: 'moons',
      columns: { x: ['x1', 'x2'], y: ['class'] },
      units: { x: ['', ''], y: [''] },
      rows: 40,
      classes,
      classCounts: [20, 20],
    },
    trials: (o.seeds ?? [0]).map((seed) =>
      classifierTrial('refit', {
        id: `refit/p0/s${seed}`,
        seed,
        weights: [{ inputs: 2, units: 1, kernel: [0, -4], bias: [1] }],
        predictions: [{ x: [0.5, 0.25], y: [0.5, 0.5], label: classes[0] as string }],
        classification: {
          train: { accuracy: 0.85, logLoss: 0.3 },
          test: null,
          confusion: {
            on: 'train',
            counts: [
              [17, 3],
              [3, 17],
            ],
          },
        },
      }),
    ),
  })
  return { ...r, selection: { ...r.selection, score: 'cv_log_loss' } }
}

/** iris (4 inputs, cross_entropy over 3 logits), held-out test rows. */
function iris(backend: string): ExperimentResult {
  return result(backend, {
    spec: {
      name: 'iris',
      dataset: { builtin: 'iris' },
      loss: 'cross_entropy',
      model: { layers: [{ units: 3 }] },
      report: { predict: [] },
    },
    data: {
      name: 'iris',
      columns: { x: ['sepal length', 'sepal width', 'petal length', 'petal width'], y: ['class'] },
      units: { x: ['cm', 'cm', 'cm', 'cm'], y: [''] },
      rows: 150,
      testRows: 30,
      classes: IRIS_CLASSES,
      classCounts: [50, 50, 50],
    },
    trials: [
      classifierTrial('refit', {
        history: { loss: [1.1, 0.6, 0.3, 0.2], accuracy: [0.3, 0.7, 0.9, 0.95] },
        weights: [{ inputs: 4, units: 3, kernel: Array(12).fill(0.1), bias: [0, 0, 0] }],
        classification: {
          train: { accuracy: 0.95, logLoss: 0.2 },
          test: { accuracy: 0.9, logLoss: 0.25 },
          confusion: {
            on: 'test',
            counts: [
              [10, 0, 0],
              [0, 8, 2],
              [0, 1, 9],
            ],
          },
        },
      }),
      classifierTrial('early-stopping', {
        history: { loss: [1.1, 0.6, 0.3], accuracy: [0.3, 0.7, 0.9], valAccuracy: [0.25, 0.6, 0.88] },
        epochsRun: 3,
        stoppedEpoch: 2,
      }),
    ],
  })
}

describe("a classifier's charts", () => {
  it('reads two-input rows with their class index, and none for more inputs', async () => {
    const d = await dataPoints(moons('a'))
    expect(d.source).toBe('builtin')
    expect(d.rows).toBe(40)
    expect(d.points).toHaveLength(40)
    expect(d.points.every((p) => p.length === 3 && (p[2] === 0 || p[2] === 1))).toBe(true)
    expect(d.points.filter((p) => p[2] === 1)).toHaveLength(20)
    expect(await dataPoints(iris('a'))).toEqual({ points: [], source: 'none', rows: 0 })
  })

  it('are loss, accuracy, grid, a confusion matrix and decision regions per backend: no predictions', async () => {
    const g = group(moons('keras-style'), moons('torch-style'))
    const charts = chartsFor(g, await dataPoints(g.results[0] as ExperimentResult))
    expect(charts.map((c) => c.name)).toEqual([
      'loss',
      'accuracy',
      'grid',
      'confusion-keras-style',
      'confusion-torch-style',
      'regions-keras-style',
      'regions-torch-style',
    ])
    expect(charts.map((c) => c.kind)).not.toContain('predictions')
    expect(predictionChart(g, await dataPoints(g.results[0] as ExperimentResult))).toBeNull()
  })

  it('have no decision regions without two inputs', async () => {
    const g = group(iris('a'))
    const charts = chartsFor(g, await dataPoints(g.results[0] as ExperimentResult))
    expect(charts.map((c) => c.name)).toEqual(['loss', 'accuracy', 'grid', 'confusion-a'])
    expect(
      regionsChart(g, g.results[0] as ExperimentResult, { points: [], source: 'none', rows: 0 }),
    ).toBeNull()
  })

  it('draw each class probability along the input of a one-input classifier, the rows on their own curve', async () => {
    // One logit 2x - 9: class '1' from x = 4.5 on; the last row, x = 9, is labelled '0'.
    const labels = [0, 0, 0, 0, 0, 1, 1, 1, 1, 0]
    const r = moons('a')
    r.spec = {
      ...r.spec,
      name: 'steps',
      dataset: { inline: { x: labels.map((_, i) => i), y: labels } },
      report: { ...r.spec.report, predict: [] },
    } as ExperimentResult['spec']
    r.data = { ...r.data, name: 'steps', columns: { x: ['x'], y: ['class'] }, units: { x: ['m'], y: [''] } }
    const run = r.trials[0] as TrialResult
    run.weights = [{ inputs: 1, units: 1, kernel: [2], bias: [-9] }]
    run.predictions = []
    const data = await dataPoints(r)
    expect(data.points).toEqual(labels.map((y, i) => [i, y]))
    const g = group(r)
    expect(chartsFor(g, data).map((c) => c.name)).toEqual([
      'loss',
      'accuracy',
      'grid',
      'confusion-a',
      'probabilities-a',
    ])
    const spec = probabilitiesChart(g, r, data) as Json
    const [lines, points] = spec.layer
    const at = (x: number, cls: string) =>
      lines.data.values.find((v: Json) => Math.abs(v.x - x) < 1e-9 && v.cls === cls)?.y as number
    const [lo, hi] = lines.encoding.x.scale.domain
    expect(lo).toBeLessThan(0)
    expect(hi).toBeGreaterThan(9)
    expect(at(lo, '1') + at(lo, '0')).toBeCloseTo(1, 12)
    expect(at(lo, '1')).toBeCloseTo(1 / (1 + Math.exp(-(2 * lo - 9))), 12)
    expect(points.data.values).toHaveLength(10)
    expect(points.data.values[0]).toMatchObject({ x: 0, cls: '0', wrong: false })
    expect(points.data.values[0].y).toBeCloseTo(1 - 1 / (1 + Math.exp(9)), 12)
    expect(points.data.values[9]).toMatchObject({ x: 9, cls: '0', wrong: true })
    expect(lines.encoding.x.title).toBe('x (m)')
    expect(spec.title.subtitle.join(' ')).toContain('✕ the model picks another class: 1')
    // Two inputs draw the regions instead; a regression neither.
    expect(probabilitiesChart(g, moons('a'), data)).toBeNull()
    expect(probabilitiesChart({ name: 'mini' }, result('a'), data)).toBeNull()
  })

  it('draw the accuracy on the training rows and, thin, on the validation rows', () => {
    const g = group(iris('a'))
    const spec = chartsFor(g, { points: [], source: 'none', rows: 0 }).find((c) => c.name === 'accuracy')
      ?.spec as Json
    // The refit is the final run: no validation rows.
    expect(spec.layer).toHaveLength(1)
    expect(spec.layer[0].data.values.map((d: Json) => d.accuracy)).toEqual([0.3, 0.7, 0.9, 0.95])
    const noRefit = iris('a')
    noRefit.trials = noRefit.trials.filter((t) => t.stage !== 'refit')
    const es = chartsFor(group(noRefit), { points: [], source: 'none', rows: 0 }).find(
      (c) => c.name === 'accuracy',
    )?.spec as Json
    expect(es.layer[1].data.values.map((d: Json) => d.accuracy)).toEqual([0.25, 0.6, 0.88])
    expect(es.title.subtitle.join(' ')).toContain('thin: on the validation rows')
  })

  it('name the classes on both axes of the confusion matrix and write each count', () => {
    const r = iris('a')
    const spec = confusionChart({ name: 'iris' }, r) as Json
    const cells = spec.data.values as { truth: string; predicted: string; count: number }[]
    expect(cells).toHaveLength(9)
    expect(cells.find((c) => c.truth === 'versicolor' && c.predicted === 'virginica')?.count).toBe(2)
    expect(cells.find((c) => c.truth === 'virginica' && c.predicted === 'versicolor')?.count).toBe(1)
    const [rect, text] = spec.layer
    expect(rect.encoding.x.scale.domain).toEqual(IRIS_CLASSES)
    expect(rect.encoding.y.scale.domain).toEqual(IRIS_CLASSES)
    expect(text.encoding.text.field).toBe('count')
    expect(spec.title.subtitle.join(' ')).toContain(
      'on its 30 held-out test rows: accuracy 90% (27 of 30 right)',
    )
    // A diverged model has no matrix to show, a regression none at all.
    const diverged = iris('a')
    ;(diverged.trials[0] as TrialResult).diverged = true
    expect(confusionChart({ name: 'iris' }, diverged)).toBeNull()
    expect(confusionChart({ name: 'mini' }, result('a'))).toBeNull()
  })

  it('shade each grid cell by the class the model picks, the points by their true class', async () => {
    const r = moons('a')
    const data = await dataPoints(r)
    const spec = regionsChart({ name: 'moons' }, r, data) as Json
    const cells = spec.layer[0].data.values as { cls: string; y: number; y2: number; x: number; x2: number }[]
    // The logit 1 - 4 x2 changes sign at x2 = 0.25: one rectangle per grid row.
    expect(cells).toHaveLength(REGION_GRID.y)
    for (const c of cells) expect(c.cls).toBe((c.y + c.y2) / 2 < 0.25 ? '1' : '0')
    const points = spec.layer[1].data.values as { x: number; y: number; cls: string; wrong: boolean }[]
    expect(points).toHaveLength(40)
    for (const [i, p] of points.entries()) {
      expect(p.cls).toBe(String(data.points[i]?.[2]))
      expect(p.wrong).toBe(p.cls !== (p.y < 0.25 ? '1' : '0'))
    }
    expect(spec.layer[1].encoding.color.scale.domain).toEqual(['0', '1'])
  })

  it('spread the final loss over seeds, not a class probability', () => {
    const charts = seedCharts(group(moons('a', { seeds: [0, 1] })))
    expect(charts.map((c) => c.name)).toEqual(['seeds'])
    expect((charts[0] as Json).spec.layer[0].encoding.y.title).toContain('binary cross entropy')
  })
})

describe("a classifier's report", () => {
  it('writes the charts with the class names and counts, and a try-it box of class probabilities', async () => {
    const classes = ['<b>up</b>', 'down']
    const r = await buildReport([moons('keras-style', { classes }), moons('torch-style', { classes })])
    expect(r.failed).toEqual([])
    const charts = Object.keys(r.files).filter((f) => f.startsWith('charts/') && f.endsWith('.svg'))
    expect(charts.sort()).toEqual(
      [
        'loss',
        'accuracy',
        'grid',
        'confusion-keras-style',
        'confusion-torch-style',
        'regions-keras-style',
        'regions-torch-style',
      ]
        .map((n) => `charts/moons-${n}.svg`)
        .sort(),
    )
    const confusion = r.files['charts/moons-confusion-keras-style.svg'] as string
    // Vega escapes the class names it writes; each count is a text mark.
    expect(confusion).toContain('&lt;b&gt;up&lt;/b&gt;')
    expect(confusion).toContain('>down</text>')
    for (const n of [17, 3]) expect(confusion).toContain(`>${n}</text>`)
    // The regions' legend names the classes.
    const regions = r.files['charts/moons-regions-keras-style.svg'] as string
    expect(regions).toContain('role-legend')
    expect(regions).toContain('>true class</text>')
    const html = r.files['report.html'] as string
    expect(html).toContain('<th>class</th><th>P(&lt;b&gt;up&lt;/b&gt;)</th><th>P(down)</th>')
    expect(html).toContain('<td class="prob" data-class="1"></td>')
    expect(html).toContain('the sigmoid of its logits')
    expect(html).toContain('<dt>classes</dt><dd>&lt;b&gt;up&lt;/b&gt; (20 rows), down (20 rows)</dd>')
    // JSON reads the page data's \u003c escapes back as '<'.
    const block = /<script type="application\/json" id="dualfit-data">(.*?)<\/script>/.exec(html)
    const data = JSON.parse(block?.[1] ?? '{}')
    expect(data.specs[0]).toMatchObject({ classes, logits: true, inputs: 2 })
    // The model names its classes in the ONNX metadata.
    expect(Buffer.from(r.files['models/moons-keras-style.onnx'] as Uint8Array).toString()).toContain(
      'dualfit.classes',
    )
  })
})
