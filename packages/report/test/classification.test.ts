/** Classification runs (issue 20): accuracy and log loss per backend, predicted classes, confusion matrices. */
import type {
  Backend,
  ClassificationResult,
  DataInfo,
  ExperimentResult,
  TrainHooks,
  TrainJob,
  TrialResult,
} from '@dualfit/core'
import { forwardRows, parseSpec, prepareExperiment, runExperiment } from '@dualfit/core'
import { describe, expect, it } from 'vitest'
import {
  confusionTables,
  renderCsv,
  renderMarkdown,
  renderTable,
  summarize,
  summarizeGroup,
  tableRows,
} from '../src/index.js'

const CLASSES = ['setosa', 'versicolor', 'virginica']
const FLOWERS = [
  [5.1, 3.5, 1.4, 0.2],
  [6, 2.7, 5.1, 1.6],
]

const spec = parseSpec({
  name: 'iris-logreg',
  dataset: { builtin: 'iris' },
  model: { layers: [{ units: 3 }] },
  loss: 'cross_entropy',
  optimizer: { lr: 0.5 },
  epochs: 3,
  seeds: [0, 1, 2],
  split: { test: 0.2 },
  cv: { folds: 3 },
  report: { predict: FLOWERS },
})

const irisData = (classes: string[] = CLASSES): DataInfo => ({
  name: 'iris',
  description: 'iris',
  columns: { x: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], y: ['species'] },
  units: { x: ['', '', '', ''], y: [''] },
  rows: 150,
  dropped: 0,
  testRows: 30,
  sha256: '0'.repeat(64),
  classes,
  classCounts: classes.map(() => 150 / classes.length),
})

/** Per seed: train and test scores, the test confusion matrix, the class picked at the second flower. */
const SEEDS: { c: ClassificationResult; second: string }[] = [
  {
    c: {
      train: { accuracy: 0.95, logLoss: 0.2 },
      test: { accuracy: 0.9, logLoss: 0.3 },
      confusion: {
        on: 'test',
        counts: [
          [10, 0, 0],
          [0, 9, 1],
          [0, 2, 8],
        ],
      },
    },
    second: 'versicolor',
  },
  {
    c: {
      train: { accuracy: 0.97, logLoss: 0.15 },
      test: { accuracy: 0.9, logLoss: 0.25 },
      confusion: {
        on: 'test',
        counts: [
          [10, 0, 0],
          [0, 10, 0],
          [0, 3, 7],
        ],
      },
    },
    second: 'virginica',
  },
  {
    c: {
      train: { accuracy: 0.96, logLoss: 0.18 },
      test: { accuracy: 0.9667, logLoss: 0.2 },
      confusion: {
        on: 'test',
        counts: [
          [10, 0, 0],
          [0, 9, 1],
          [0, 0, 10],
        ],
      },
    },
    second: 'versicolor',
  },
]

function refit(seed: number, shift: number): TrialResult {
  const { c, second } = SEEDS[seed] as (typeof SEEDS)[number]
  const p2 = second === 'versicolor' ? [0.05, 0.6, 0.35] : [0.05, 0.4, 0.55]
  return {
    id: `refit/p0/s${seed}`,
    stage: 'refit',
    point: 0,
    params: {},
    fold: null,
    seed,
    epochs: 3,
    epochsRun: 3,
    stoppedEpoch: null,
    bestEpoch: null,
    diverged: false,
    steps: 3,
    history: { loss: [1.1, 0.6, 0.3], accuracy: [0.6, 0.9, c.train.accuracy] },
    finalLoss: 0.3,
    testMse: null,
    testMseByOutput: null,
    classification: { ...c, train: { ...c.train, accuracy: c.train.accuracy - shift } },
    weights: [{ inputs: 4, units: 3, kernel: new Array(12).fill(0.1), bias: [0, 0, 0] }],
    predictions: [
      { x: FLOWERS[0] as number[], y: [0.9, 0.08 + seed / 100, 0.02 - seed / 100], label: 'setosa' },
      { x: FLOWERS[1] as number[], y: p2, label: second },
    ],
    timings: { setupMs: 1, trainMs: 2, totalMs: 3, usPerStep: 100 },
  }
}

function result(backend: string, shift = 0): ExperimentResult {
  return {
    schemaVersion: 2,
    kind: 'dualfit.experiment',
    spec,
    specHash: 'c'.repeat(64),
    data: irisData(),
    backend: {
      id: backend,
      version: `${backend}@1`,
      engine: { id: 'cpu', device: 'cpu', available: true, detail: '' },
    },
    environment: { node: 'v20', platform: 'linux', arch: 'x64', cpu: 'x', cpus: 2, workers: 1, packages: {} },
    grid: { keys: [], points: [{}] },
    selection: {
      score: 'cv_log_loss',
      rule: 'best',
      selected: 0,
      scores: [
        { point: 0, params: {}, mean: 0.25, sd: 0.05, se: 0.03, tie: false, values: [0.2, 0.25, 0.3] },
      ],
    },
    trials: [0, 1, 2].map((seed) => refit(seed, shift)),
    totals: { trials: 3, steps: 9, trainMs: 6, wallMs: 1000 },
  }
}

describe('classification summaries', () => {
  const s = summarize(result('keras-style'))

  it('carry the classes, accuracy and log loss over seeds, on training and test rows', () => {
    expect(s.scoreKind).toBe('cv_log_loss')
    expect(s.classes).toEqual(CLASSES)
    expect(s.accuracy).toMatchObject({ n: 3, median: 0.96, min: 0.95, max: 0.97 })
    expect(s.accuracy?.mean).toBeCloseTo(0.96, 12)
    expect(s.logLoss).toMatchObject({ n: 3, median: 0.18, min: 0.15, max: 0.2 })
    expect(s.testAccuracy).toMatchObject({ n: 3, median: 0.9, min: 0.9, max: 0.9667 })
    expect(s.testLogLoss).toMatchObject({ n: 3, median: 0.25, min: 0.2, max: 0.3 })
    expect(s.testMse).toBeNull()
  })

  it('sum the confusion matrices over seeds and say which rows they are on', () => {
    expect(s.confusion).toEqual({
      on: 'test',
      counts: [
        [30, 0, 0],
        [0, 28, 2],
        [0, 5, 25],
      ],
    })
  })

  it("name each prediction's class and keep the class most seeds pick", () => {
    expect(s.predictions.map((p) => p.output)).toEqual([...CLASSES, ...CLASSES])
    expect(s.predictions[1]?.y).toMatchObject({ median: 0.09, min: 0.08, max: 0.1 })
    expect(s.predictions[0]?.unitY).toBe('')
    expect(s.labels).toEqual([
      { x: FLOWERS[0], label: 'setosa', runs: 3, of: 3 },
      { x: FLOWERS[1], label: 'versicolor', runs: 2, of: 3 },
    ])
  })

  it('without a split: test scores null, the confusion matrix on the training rows', () => {
    const r = result('keras-style')
    r.trials = r.trials.map((t) => {
      const c = t.classification as ClassificationResult
      return {
        ...t,
        classification: { ...c, test: null, confusion: { ...c.confusion, on: 'train' as const } },
      }
    })
    const t = summarize(r)
    expect([t.testAccuracy, t.testLogLoss]).toEqual([null, null])
    expect(t.confusion?.on).toBe('train')
    const { head } = tableRows([t])
    expect(head).toContain('train accuracy')
    expect(head).not.toContain('test accuracy')
    expect(confusionTables([t])[0]?.title).toBe(
      'confusion matrix, keras-style: training rows, summed over 3 runs',
    )
  })

  it('leave a regression summary as it was: no classification field at all', () => {
    const r = result('keras-style')
    r.data = { ...r.data, classes: undefined, classCounts: undefined }
    r.trials = r.trials.map(({ classification: _c, ...t }) => t)
    const keys = Object.keys(summarize(r))
    for (const k of ['classes', 'accuracy', 'logLoss', 'testAccuracy', 'testLogLoss', 'confusion', 'labels'])
      expect(keys).not.toContain(k)
  })
})

describe('classification tables', () => {
  const rows = summarizeGroup([result('keras-style'), result('torch-style', 0.02)])

  it('show accuracy and log loss per backend as median [min–max], their difference, and parity; no MSE', () => {
    const { head, body } = tableRows(rows)
    // No grid: no 'selected' column.
    expect(head.slice(0, 6)).toEqual([
      'backend',
      'CV log loss (mean ± sd)',
      'train accuracy',
      'train log loss',
      'test accuracy',
      'test log loss',
    ])
    expect(head.some((h) => h.includes('MSE'))).toBe(false)
    const cell = (row: number, h: string) => body[row]?.[head.indexOf(h)]
    expect(cell(0, 'CV log loss (mean ± sd)')).toBe('0.25 ± 0.05')
    expect(cell(0, 'train accuracy')).toBe('0.96 [0.95–0.97]')
    expect(cell(1, 'train accuracy')).toBe('0.94 [0.93–0.95]')
    expect(cell(0, 'test accuracy')).toBe('0.9 [0.9–0.9667]')
    expect(cell(0, 'test log loss')).toBe('0.25 [0.2–0.3]')
    expect(cell(2, 'backend')).toBe('Δ keras-style − torch-style')
    expect(cell(2, 'train accuracy')).toBe('+0.02')
    expect(cell(2, 'test log loss')).toBe('0')
    expect(cell(0, 'parity (loss curves, weights)')).toBe('reference')
    expect(cell(1, 'parity (loss curves, weights)')).toBe('✓ 0, 0')
  })

  it('name the score selection ranked by', () => {
    const r = result('keras-style')
    r.selection = { ...r.selection, score: 'cv_accuracy' }
    expect(tableRows([summarize(r)]).head[1]).toBe('CV accuracy (mean ± sd)')
  })

  it('show the predicted class and each class probability per report input', () => {
    const { head, body } = tableRows(rows)
    const at = head.indexOf('class @ 5.1, 3.5, 1.4, 0.2')
    expect(head.slice(at, at + 8)).toEqual([
      'class @ 5.1, 3.5, 1.4, 0.2',
      'P(setosa) @ 5.1, 3.5, 1.4, 0.2',
      'P(versicolor) @ 5.1, 3.5, 1.4, 0.2',
      'P(virginica) @ 5.1, 3.5, 1.4, 0.2',
      'class @ 6, 2.7, 5.1, 1.6',
      'P(setosa) @ 6, 2.7, 5.1, 1.6',
      'P(versicolor) @ 6, 2.7, 5.1, 1.6',
      'P(virginica) @ 6, 2.7, 5.1, 1.6',
    ])
    expect(body[0]?.slice(at, at + 8)).toEqual([
      'setosa',
      '0.9',
      '0.09 [0.08–0.1]',
      '0.01 [0–0.02]',
      'versicolor (2/3)',
      '0.05',
      '0.6 [0.4–0.6]',
      '0.35 [0.35–0.55]',
    ])
    // The class column has no difference; a probability's is 0 between equal runs.
    expect(body[2]?.slice(at, at + 2)).toEqual(['', '0'])
    expect(head.some((h) => h.startsWith('|error|') || h.startsWith('pred'))).toBe(false)
  })

  it('print a confusion matrix per backend in the terminal and Markdown', () => {
    const t = renderTable(rows, { width: 400 })
    expect(t).toContain('confusion matrix, keras-style: test rows, summed over 3 runs')
    expect(t).toContain('confusion matrix, torch-style: test rows, summed over 3 runs')
    expect(t).toMatch(/│ true ↓ predicted → │ setosa │ versicolor │ virginica │/)
    expect(t).toMatch(/│ versicolor +│ 0 +│ 28 +│ 2 +│/)
    expect(t).toContain('iris: 150 rows, 30 held out for test, 3 classes')
    const narrow = renderTable(rows, { width: 50 })
    expect(Math.max(...narrow.split('\n').map((l) => l.length))).toBeLessThanOrEqual(50)
    expect(narrow).toMatch(/│ virginica +│ 0 +│ 5 +│ 25 +│/)
    const md = renderMarkdown(rows)
    expect(md).toContain('| true ↓ predicted → | setosa | versicolor | virginica |')
    expect(md).toContain('| virginica | 0 | 5 | 25 |')
  })

  it('leave the confusion matrix out past 10 classes', () => {
    const many = Array.from({ length: 11 }, (_, i) => `c${i}`)
    const r = result('keras-style')
    r.data = irisData(many)
    r.trials = r.trials.map((t) => ({
      ...t,
      classification: {
        ...(t.classification as ClassificationResult),
        confusion: { on: 'test', counts: many.map((_, i) => many.map((_, j) => (i === j ? 1 : 0))) },
      },
    }))
    const s = summarize(r)
    expect(s.confusion?.counts[10]?.[10]).toBe(3)
    expect(confusionTables([s])).toEqual([])
    expect(renderTable([s])).not.toContain('confusion matrix')
  })

  it('write classification fields to the CSV, and none to a regression-only one', () => {
    const [header, first] = renderCsv(rows).trim().split('\n')
    const names = header?.split(',') ?? []
    const row = Object.fromEntries(names.map((h, i) => [h, first?.split(',')[i]]))
    expect(names).not.toContain('test_mse')
    expect(row).toMatchObject({
      score_kind: 'cv_log_loss',
      classes: 'setosa;versicolor;virginica',
      test_log_loss: '0.25',
      confusion_on: 'test',
      confusion: '30 0 0;0 28 2;0 5 25',
      predicted_class: 'setosa;versicolor',
      predict_x: '5.1 3.5 1.4 0.2;6 2.7 5.1 1.6',
    })
    expect(Number(row.accuracy)).toBeCloseTo(0.96, 12)
    expect(row.prediction?.split(';').map((p) => p.split(' ').length)).toEqual([3, 3])
    const regression = result('keras-style')
    regression.data = { ...regression.data, classes: undefined }
    const regressionHeader = renderCsv([summarize(regression)])
      .split('\n')[0]
      ?.split(',')
    expect(regressionHeader).toContain('test_mse')
    for (const f of ['classes', 'accuracy', 'log_loss', 'confusion', 'predicted_class'])
      expect(regressionHeader).not.toContain(f)
  })
})

/** A test double: keeps its initial weights, so its results follow from the seeds alone. */
class FixedBackend implements Backend {
  readonly id = 'test-fixed'
  readonly version = 'test-fixed@0'
  readonly engines = [
    { id: 'js', device: 'cpu' as const, detail: 'plain TypeScript', probe: async () => null },
  ]

  async train(job: TrainJob, hooks: TrainHooks) {
    const weights = job.initialWeights ?? []
    for (let epoch = 0; epoch < job.epochs; epoch++)
      await hooks.onEpochEnd(epoch, { loss: 1 / (epoch + 1) }, async () => weights)
    return { weights, steps: job.epochs, setupMs: 0 }
  }

  settings(job: TrainJob) {
    return {
      initializer: 'given',
      order: 'given',
      batchSize: job.batchSize,
      epsilon: null,
      lossReduction: 'mean' as const,
      probabilities: { activation: 'softmax' as const, at: 'loss' as const, clip: null },
    }
  }

  async predict(model: Parameters<Backend['predict']>[0], x: Float32Array) {
    return Float32Array.from(forwardRows(model, x, x.length / model.inputs))
  }

  async dispose() {}
}

describe("a run through core's harness", () => {
  it("summarizes what core's classification results hold", async () => {
    const exp = await prepareExperiment(
      {
        name: 'iris-fixed',
        dataset: { builtin: 'iris' },
        model: { layers: [{ units: 3 }] },
        loss: 'cross_entropy',
        optimizer: { lr: 0.1 },
        epochs: 2,
        batchSize: 'full',
        seeds: [0, 1],
        split: { test: 0.2 },
        report: { predict: FLOWERS },
      },
      'iris',
    )
    const r = await runExperiment(exp, new FixedBackend(), 'js')
    const s = summarize(r)
    const refits = r.trials.filter((t) => t.stage === 'refit')
    expect(refits).toHaveLength(2)
    expect(s.classes).toEqual(CLASSES)
    expect(s.accuracy?.n).toBe(2)
    expect(s.testAccuracy?.mean).toBeCloseTo(
      refits.reduce((a, t) => a + (t.classification?.test?.accuracy ?? 0), 0) / 2,
      12,
    )
    // Summed over both seeds: every test row counted twice.
    const total = s.confusion?.counts.flat().reduce((a, b) => a + b, 0)
    expect(total).toBe(2 * r.data.testRows)
    expect(s.confusion?.on).toBe('test')
    expect(s.predictions).toHaveLength(2 * CLASSES.length)
    for (const [i, l] of (s.labels ?? []).entries()) {
      expect(CLASSES).toContain(l.label)
      expect(l.of).toBe(2)
      expect(l.x).toEqual(FLOWERS[i])
    }
    const text = renderTable([s], { width: 400 })
    expect(text).toContain('confusion matrix, test-fixed: test rows, summed over 2 runs')
    expect(text).toContain('test accuracy')
  })
})
