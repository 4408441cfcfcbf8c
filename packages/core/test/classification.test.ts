import { describe, expect, it } from 'vitest'
import type { Backend, LayerWeights, TrainHooks, TrainJob, TrainResult, TrainSettings } from '../src/index.js'
import {
  builtinDataset,
  classMetrics,
  classProbabilities,
  forwardRow,
  forwardRows,
  parity,
  parseSpec,
  prepareExperiment,
  runExperiment,
  stratifiedKFold,
} from '../src/index.js'

/**
 * A test double: one Dense layer of K logits (multinomial logistic regression), full-batch
 * gradient descent in float64 on softmax cross-entropy from logits.
 */
class SoftmaxBackend implements Backend {
  readonly id = 'test-softmax'
  readonly version = 'test-softmax@0'
  readonly engines = [
    { id: 'js', device: 'cpu' as const, detail: 'plain TypeScript', probe: async () => null },
  ]

  async train(job: TrainJob, hooks: TrainHooks): Promise<TrainResult> {
    const { x, y, n, inputs } = job.data
    const k = job.model.layers[0]?.units ?? 2
    const w0 = job.initialWeights?.[0] as LayerWeights
    const kernel = Float64Array.from(w0.kernel)
    const bias = Float64Array.from(w0.bias)
    const current = (): LayerWeights[] => [
      { inputs, units: k, kernel: Float32Array.from(kernel), bias: Float32Array.from(bias) },
    ]
    let steps = 0
    for (let epoch = 0; epoch < job.epochs; epoch++) {
      const gk = new Float64Array(kernel.length)
      const gb = new Float64Array(k)
      let loss = 0
      for (let r = 0; r < n; r++) {
        const row = Array.from(x.subarray(r * inputs, (r + 1) * inputs))
        const p = forwardRow(
          { layers: [{ units: k, activation: 'softmax' }], weights: [{ inputs, units: k, kernel, bias }] },
          row,
        )
        const t = y[r] as number
        loss -= Math.log(p[t] as number) / n
        for (let c = 0; c < k; c++) {
          const d = ((p[c] as number) - (c === t ? 1 : 0)) / n
          gb[c] = (gb[c] as number) + d
          for (let i = 0; i < inputs; i++) gk[i * k + c] = (gk[i * k + c] as number) + d * (row[i] as number)
        }
      }
      for (let i = 0; i < kernel.length; i++)
        kernel[i] = (kernel[i] as number) - job.optimizer.lr * (gk[i] as number)
      for (let c = 0; c < k; c++) bias[c] = (bias[c] as number) - job.optimizer.lr * (gb[c] as number)
      steps++
      if ((await hooks.onEpochEnd(epoch, { loss }, async () => current())) === 'stop') break
    }
    return { weights: current(), steps, setupMs: 0 }
  }

  settings(job: TrainJob): TrainSettings {
    return {
      initializer: 'given',
      order: 'given',
      batchSize: job.batchSize,
      epsilon: null,
      lossReduction: 'mean',
      probabilities: { activation: 'softmax', at: 'loss', clip: null },
    }
  }

  async predict(model: { inputs: number; layers: never[]; weights: LayerWeights[] }, x: Float32Array) {
    return Float32Array.from(forwardRows(model, x, x.length / model.inputs))
  }

  async dispose() {}
}

const iris = (over: Record<string, unknown> = {}) => ({
  name: 'iris-logreg',
  dataset: { builtin: 'iris' },
  model: { layers: [{ units: 3 }] },
  loss: 'cross_entropy',
  optimizer: { lr: 0.5 },
  epochs: 150,
  batchSize: 'full',
  standardize: { x: true },
  split: { test: 0.2 },
  cv: { folds: 3 },
  grid: { 'optimizer.lr': [0.05, 0.5] },
  ...over,
})

describe('stratified folds', () => {
  it("equal scikit-learn's StratifiedKFold without shuffling (values from sklearn 1.2)", () => {
    const tests = (labels: number[], k: number) => stratifiedKFold(labels, k).map((f) => f.test)
    expect(tests([2, 0, 0, 1, 2, 2, 0, 1, 1, 2, 0, 2, 1, 0, 2], 3)).toEqual([
      [0, 1, 2, 3, 4],
      [5, 6, 7, 9, 10],
      [8, 11, 12, 13, 14],
    ])
    expect(tests([1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0], 2)).toEqual([
      [0, 1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10],
    ])
  })

  it('shuffled: seeded, every row tested once, each class spread evenly', () => {
    const labels = Array.from({ length: 60 }, (_, i) => i % 3)
    const a = stratifiedKFold(labels, 5, true, 7)
    expect(stratifiedKFold(labels, 5, true, 7)).toEqual(a)
    expect(stratifiedKFold(labels, 5, true, 8)).not.toEqual(a)
    expect(a.flatMap((f) => f.test).sort((p, q) => p - q)).toEqual(labels.map((_, i) => i))
    for (const f of a)
      for (const c of [0, 1, 2]) expect(f.test.filter((i) => labels[i] === c)).toHaveLength(4)
  })
})

describe('classification metrics', () => {
  it('softmax of logits, sigmoid of one logit, accuracy, log loss and confusion', () => {
    const probs = classProbabilities([0, Math.log(3), 0, 0], 2, true)
    for (const [i, v] of [0.25, 0.75, 0.5, 0.5].entries()) expect(probs.p[i]).toBeCloseTo(v, 15)
    const m = classMetrics(probs, [1, 1])
    expect(m.accuracy).toBe(0.5) // a tie picks the first class
    expect(m.logLoss).toBeCloseTo((-Math.log(0.75) - Math.log(0.5)) / 2, 12)
    expect(m.confusion).toEqual([
      [0, 0],
      [1, 1],
    ])
    const binary = classProbabilities([0, 100], 1, true)
    expect(Array.from(binary.p)).toEqual([0.5, 0.5, 0, 1])
    // A certain mistake costs -log(eps) (scikit-learn's clip), not Infinity.
    expect(classMetrics(binary, [0, 0]).logLoss).toBeCloseTo((Math.log(2) - Math.log(Number.EPSILON)) / 2, 9)
  })
})

describe('classification specs', () => {
  const problem = (over: Record<string, unknown>) => {
    try {
      parseSpec(iris(over), 's.json')
      return null
    } catch (e) {
      return (e as Error).message
    }
  }
  it('refuse outputs that do not fit the loss, one line each', () => {
    expect(problem({ loss: 'binary_cross_entropy', model: { layers: [{ units: 2 }] } })).toBe(
      's.json: model.layers[0].units: expected 1 (one logit, the probability of the second class) for binary_cross_entropy, got 2; use cross_entropy for one unit per class',
    )
    expect(problem({ model: { layers: [{ units: 3, activation: 'sigmoid' }] } })).toBe(
      "s.json: model.layers[0].activation: expected 'linear' (logits: cross_entropy applies the softmax itself), got 'sigmoid'; set loss.fromLogits false to train on the layer's softmax probabilities",
    )
    expect(problem({ loss: { name: 'cross_entropy', fromLogits: false } })).toBe(
      "s.json: model.layers[0].activation: expected 'softmax' (loss.fromLogits is false: the last layer outputs probabilities), got 'linear'",
    )
    expect(problem({ model: { layers: [{ units: 4, activation: 'softmax' }, { units: 3 }] } })).toMatch(
      /model.layers\[0\].activation: expected 'softmax' on the last layer only/,
    )
    expect(problem({ loss: { name: 'mse', fromLogits: true } })).toBe(
      's.json: loss.fromLogits: applies to cross_entropy and binary_cross_entropy only, got it with mse',
    )
    expect(problem({ standardize: { x: true, y: true } })).toBe(
      's.json: standardize.y: expected false for cross_entropy (y holds class labels), got true',
    )
    expect(problem({ selection: { score: 'cv_mse' } })).toBe(
      "s.json: selection.score: expected 'cv_log_loss', 'cv_accuracy' or 'train_loss' for cross_entropy, got 'cv_mse'",
    )
  })
  it('default to cv_log_loss with folds and to fromLogits true', () => {
    const s = parseSpec(iris())
    expect(s.selection.score).toBe('cv_log_loss')
    expect(s.loss).toEqual({ name: 'cross_entropy', delta: 1, fromLogits: true })
    // Regression specs are unchanged: no fromLogits, so their hashes stay.
    expect(
      parseSpec({ ...iris(), loss: 'mse', dataset: { builtin: 'sin' }, model: { layers: [{ units: 1 }] } })
        .loss,
    ).toEqual({
      name: 'mse',
      delta: 1,
    })
  })
})

describe('classification data', () => {
  it('iris: 150 rows, 4 inputs, 50 of each species; moons: seeded, balanced, noise as asked', () => {
    const d = builtinDataset('iris')
    expect([d.n, d.inputs, d.classes]).toEqual([150, 4, ['setosa', 'versicolor', 'virginica']])
    expect([0, 1, 2].map((c) => d.y.filter((v) => v === c).length)).toEqual([50, 50, 50])
    const m = builtinDataset('moons', 100, 3)
    expect(Array.from(builtinDataset('moons', 100, 3).x)).toEqual(Array.from(m.x))
    expect(m.y.filter((v) => v === 1).length).toBe(50)
    const clean = builtinDataset('moons', 100, 3, 0)
    // Without noise every point lies on its half circle: radius 1 around (0, 0) or (1, 0.5).
    for (let i = 0; i < clean.n; i++) {
      const [a, b] = [clean.x[2 * i] as number, clean.x[2 * i + 1] as number]
      const r = clean.y[i] === 0 ? Math.hypot(a, b) : Math.hypot(a - 1, b - 0.5)
      expect(r).toBeCloseTo(1, 5)
    }
    expect(() => builtinDataset('iris', undefined, 0, 0.1)).toThrow(
      "dataset.noise: 'iris' is a fixed table without noise",
    )
  })

  it('refuse one class, a class with fewer rows than folds, and a regression loss on labels', async () => {
    const inline = (y: number[]) => ({ inline: { x: y.map((_, i) => i), y } })
    await expect(
      prepareExperiment(
        { ...iris(), dataset: inline([1, 1, 1, 1, 1, 1]), model: { layers: [{ units: 1 }] }, split: null },
        's',
      ),
    ).rejects.toThrow(
      "s: dataset: column 'y0' has one class ('1') in 6 rows, expected at least 2 to classify",
    )
    await expect(
      prepareExperiment(
        { ...iris(), dataset: inline([0, 0, 0, 0, 1, 1]), model: { layers: [{ units: 2 }] }, split: null },
        's',
      ),
    ).rejects.toThrow(
      "s: cv.folds: class '1' of column 'y0' has 2 row(s), expected at least 3 (one per stratified fold)",
    )
    await expect(
      prepareExperiment({ ...iris(), dataset: inline([0, 0.5, 1, 0, 1, 1]), split: null }, 's'),
    ).rejects.toThrow(
      'dataset.inline.y[1]: expected an integer class label (the loss is a classification loss), got 0.5',
    )
    await expect(
      prepareExperiment({ ...iris(), loss: 'mse', model: { layers: [{ units: 1 }] } }, 's'),
    ).rejects.toThrow("dataset.builtin: 'iris' holds class labels")
    await expect(prepareExperiment({ ...iris(), model: { layers: [{ units: 2 }] } }, 's')).rejects.toThrow(
      "s: model.layers[0].units: expected 3 (one per class of 'class': setosa, versicolor, virginica), got 2",
    )
  })

  it('holds out a stratified test split: each class in proportion', async () => {
    const exp = await prepareExperiment(iris({ split: { test: 0.2, seed: 4 } }), 's')
    const held = exp.holdout as { y: Float32Array }
    expect([0, 1, 2].map((c) => held.y.filter((v) => v === c).length)).toEqual([10, 10, 10])
    expect(exp.data.classes).toEqual(['setosa', 'versicolor', 'virginica'])
    expect(exp.data.classCounts).toEqual([50, 50, 50])
  })
})

describe('a classification experiment', () => {
  it('scores folds by log loss, reports accuracy, log loss and confusion, and labels predictions', async () => {
    const exp = await prepareExperiment(
      iris({
        report: {
          predict: [
            [5.1, 3.5, 1.4, 0.2],
            [6.7, 3.0, 5.2, 2.3],
          ],
        },
      }),
      'iris',
    )
    const r = await runExperiment(exp, new SoftmaxBackend(), 'js')
    expect(r.selection.score).toBe('cv_log_loss')
    const lrs = r.selection.scores.map((s) => s.mean)
    // The larger step reaches a lower held-out log loss in 150 full-batch steps, and is selected.
    expect(lrs[1]).toBeLessThan(lrs[0] as number)
    expect(r.selection.selected).toBe(1)
    const refit = r.trials.find((t) => t.stage === 'refit')
    const c = refit?.classification
    expect(c?.test?.accuracy).toBeGreaterThanOrEqual(0.9)
    expect(c?.train.accuracy).toBeGreaterThanOrEqual(0.9)
    expect(c?.confusion.on).toBe('test')
    expect(c?.confusion.counts.flat().reduce((a, b) => a + b, 0)).toBe(30)
    expect(refit?.testMse).toBeNull()
    expect(refit?.history.accuracy).toHaveLength(150)
    expect(refit?.history.accuracy?.at(-1)).toBeCloseTo(c?.train.accuracy as number, 12)
    expect(refit?.predictions.map((p) => p.label)).toEqual(['setosa', 'virginica'])
    for (const p of refit?.predictions ?? []) expect(p.y.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6)
    const search = r.trials.find((t) => t.stage === 'search')
    expect(search?.classification?.test).not.toBeNull()
    expect(search?.history.accuracy).toBeUndefined()
  })

  it('cv_accuracy selects the highest mean accuracy', async () => {
    const exp = await prepareExperiment(
      iris({ selection: { score: 'cv_accuracy' }, grid: { 'optimizer.lr': [0.5, 0.0001] } }),
      'iris',
    )
    const r = await runExperiment(exp, new SoftmaxBackend(), 'js')
    const [fast, slow] = r.selection.scores.map((s) => s.mean) as [number, number]
    expect(fast).toBeGreaterThan(slow)
    expect(r.selection.selected).toBe(0)
  })
})

describe('parity between the logits form and clipped probabilities', () => {
  it('names the clip as the cause when the curves part', async () => {
    const exp = await prepareExperiment(iris({ grid: {}, cv: null, epochs: 5 }), 'iris')
    const a = await runExperiment(exp, new SoftmaxBackend(), 'js')
    const b = structuredClone(a)
    if (b.backend.settings)
      b.backend.settings.probabilities = { activation: 'softmax', at: 'model', clip: [1e-7, 1 - 1e-7] }
    for (const t of b.trials) t.history.loss = t.history.loss.map((l, e) => (e >= 3 ? l * 1.01 : l))
    const report = parity(a, b, 1e-4, { variant: true })
    expect(report.verdict).toBe('beyond')
    expect(report.variant).toEqual([])
    expect(report.cause).toBe(
      "softmax: in the loss (logits out of the model), unclipped (test-softmax:js) vs as the last layer, probabilities clipped to [1e-7, 1 - 1e-7] (test-softmax:js); the losses differ only where a probability passes the clip: past it the loss stops at -log(1e-7) = 16.1 and that row's gradient is 0",
    )
  })
})
