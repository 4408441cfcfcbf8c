import { describe, expect, it } from 'vitest'
import {
  EarlyStopping,
  type ExperimentResult,
  kFold,
  prepareExperiment,
  Rng,
  runExperiment,
  runSingle,
  type SpecInput,
  scorePoints,
  selectPoint,
  type TrialResult,
} from '../src/index.js'
import { LinearBackend } from './linear-backend.js'

const spec: SpecInput = {
  name: 'harness-test',
  dataset: { builtin: 'meters-feet' },
  model: { layers: [{ units: 1, activation: 'linear' }] },
  optimizer: { name: 'adam', lr: 0.1 },
  epochs: 60,
  batchSize: 2,
  init: 'keras',
  seeds: [0, 1],
  grid: { 'optimizer.lr': [0.0001, 5, 0.05] },
  cv: { folds: 3 },
  earlyStopping: { patience: 3, minDelta: 1e-3, restoreBestWeights: true },
  report: { predict: [100] },
}

const withoutTimings = (r: ExperimentResult) => r.trials.map(({ timings: _t, ...rest }: TrialResult) => rest)

describe('harness: grid x 3-fold x 2 seeds', async () => {
  const exp = await prepareExperiment(spec, 'harness-test')
  const backend = new LinearBackend()
  const result = await runExperiment(exp, backend, 'js')

  it('runs every trial once: 3 points x 3 folds x 2 seeds, then refit and early stopping per seed', () => {
    expect(result.trials.map((t) => t.id)).toEqual([
      ...[0, 1, 2].flatMap((p) => [0, 1, 2].flatMap((f) => [0, 1].map((s) => `search/p${p}/f${f}/s${s}`))),
      'refit/p2/s0',
      'refit/p2/s1',
      'early-stopping/p2/s0',
      'early-stopping/p2/s1',
    ])
    expect(result.totals.steps).toBe(result.trials.reduce((a, t) => a + t.steps, 0))
  })

  it('gives the backend the KFold rows: train on the complement, score on the held-out fold', () => {
    // x = [1, 8, 4, 5, 12, 10, 17]; test folds [0,1,2], [3,4], [5,6]
    const trainX = backend.jobs.slice(0, 6).map((j) => Array.from(j.data.x))
    expect(trainX).toEqual([
      [5, 12, 10, 17],
      [5, 12, 10, 17],
      [1, 8, 4, 10, 17],
      [1, 8, 4, 10, 17],
      [1, 8, 4, 5, 12],
      [1, 8, 4, 5, 12],
    ])
    expect(backend.jobs.at(-1)?.data.n).toBe(7)
    expect(result.trials.filter((t) => t.stage === 'search').every((t) => t.testMse !== null)).toBe(true)
  })

  it('uses identical starts and orders across grid points (common random numbers) and distinct ones across seeds', () => {
    const [p0f0s0, p0f0s1] = backend.jobs
    const p1f0s0 = backend.jobs[6]
    expect(p1f0s0?.initialWeights).toEqual(p0f0s0?.initialWeights)
    expect(Array.from(p1f0s0?.order?.(3) ?? [])).toEqual(Array.from(p0f0s0?.order?.(3) ?? []))
    expect(p0f0s1?.initialWeights).not.toEqual(p0f0s0?.initialWeights)
  })

  it('selects the grid point with the lowest mean CV MSE (scikit-learn best)', () => {
    const { scores, selected } = result.selection
    expect(scores.map((s) => s.values.length)).toEqual([6, 6, 6])
    // lr 1e-4 barely moves in 60 epochs; 0.05 fits; Adam's steps of ~5 overshoot.
    expect(selected).toBe(2)
    expect(result.grid.points[selected]).toEqual({ 'optimizer.lr': 0.05 })
    const means = scores.map((s) => s.mean)
    expect(means[2]).toBeLessThan(means[0] as number)
    expect(means[2]).toBeLessThan(means[1] as number)
  })

  it('stops the early-stopping run by the core rule and restores the best weights', () => {
    for (const t of result.trials.filter((t) => t.stage === 'early-stopping')) {
      const rule = new EarlyStopping({ patience: 3, minDelta: 1e-3, baseline: null, startFromEpoch: 0 })
      const stop = t.history.loss.findIndex((l, e) => rule.update(e, l).stop)
      expect(t.stoppedEpoch).toBe(stop === -1 ? null : stop)
      expect(t.epochsRun).toBe(stop === -1 ? 60 : stop + 1)
      expect(t.bestEpoch).toBe(rule.bestEpoch)
    }
    const refit = result.trials.find((t) => t.id === 'refit/p2/s0')
    expect(refit?.epochsRun).toBe(60)
    expect(refit?.predictions[0]?.exact?.[0]).toBeCloseTo(328.084, 6)
    expect(refit?.predictions[0]?.absError?.[0]).toBeCloseTo(
      Math.abs((refit?.predictions[0]?.y[0] as number) - 328.084),
      3,
    )
  })

  it('gives identical results for the same seed, timings aside', async () => {
    const again = await runExperiment(
      await prepareExperiment(spec, 'harness-test'),
      new LinearBackend(),
      'js',
    )
    expect(withoutTimings(again)).toEqual(withoutTimings(result))
    expect(again.specHash).toBe(result.specHash)
  })

  it('gives the same results, in the planned order, when trials run concurrently', async () => {
    const backend = new LinearBackend()
    const done: number[] = []
    const concurrent = await runExperiment(await prepareExperiment(spec, 'harness-test'), backend, 'js', {
      concurrency: 3,
      onTrial: (n) => done.push(n),
    })
    expect(withoutTimings(concurrent)).toEqual(withoutTimings(result))
    expect(done).toEqual(Array.from({ length: 22 }, (_, i) => i + 1))
    expect(concurrent.environment.workers).toBe(3)
  })

  it('records a versioned results object', () => {
    expect(result.schemaVersion).toBe(2)
    expect(result.backend).toMatchObject({ id: 'test-linear', engine: { id: 'js', device: 'cpu' } })
    expect(result.environment.node).toBe(process.version)
    expect(result.environment.packages).toMatchObject({ 'test-linear': 'test-linear@0' })
    expect(result.environment.packages['@dualfit/core']).toMatch(/^\d+\.\d+\.\d+/)
    expect(JSON.parse(JSON.stringify(result)).trials.length).toBe(22)
  })
})

describe('harness: protocols and failures', () => {
  it('scores by final training loss without CV and never selects a diverged point', async () => {
    const backend = new LinearBackend((lr, epoch) => (lr === 0.05 && epoch === 5 ? Number.NaN : 1))
    const r = await runExperiment(
      await prepareExperiment({ ...spec, cv: null, seeds: [0], earlyStopping: null, refit: false }),
      backend,
      'js',
    )
    const diverged = r.trials.find((t) => t.point === 2)
    expect(diverged).toMatchObject({
      diverged: true,
      stoppedEpoch: 5,
      epochsRun: 6,
      finalLoss: Number.POSITIVE_INFINITY,
    })
    expect(r.selection.scores[2]?.mean).toBe(Number.POSITIVE_INFINITY)
    expect(r.selection.score).toBe('train_loss')
    expect(r.selection.selected).not.toBe(2)
    // refit: false still trains nothing more after the search.
    expect(r.trials.every((t) => t.stage === 'search')).toBe(true)
  })

  it('without grid or CV runs one plain training per seed', async () => {
    const r = await runExperiment(
      await prepareExperiment({ ...spec, grid: {}, cv: null, earlyStopping: null }),
      new LinearBackend(),
      'js',
    )
    expect(r.trials.map((t) => t.id)).toEqual(['refit/p0/s0', 'refit/p0/s1'])
  })

  it('holds out the last rows for val_loss (Keras validation_split)', async () => {
    const backend = new LinearBackend()
    await runExperiment(
      await prepareExperiment({
        ...spec,
        grid: {},
        cv: null,
        refit: false,
        earlyStopping: { monitor: 'val_loss', patience: 2, validationSplit: 0.3 },
      }),
      backend,
      'js',
    )
    // refit: false and no search: the early-stopping run is the only training.
    expect(backend.jobs).toHaveLength(2)
    const es = backend.jobs[0]
    expect(Array.from(es?.data.x ?? [])).toEqual([1, 8, 4, 5])
    expect(Array.from(es?.validation?.x ?? [])).toEqual([12, 10, 17])
  })

  it('rejects an unavailable or unknown engine with one line', async () => {
    const exp = await prepareExperiment(spec)
    await expect(runExperiment(exp, new LinearBackend(), 'gpu')).rejects.toThrow(
      "engine 'gpu' of test-linear is not available: no GPU in tests",
    )
    await expect(runExperiment(exp, new LinearBackend(), 'tpu')).rejects.toThrow(
      "engine 'tpu': test-linear offers js, gpu",
    )
  })

  it('stops between trials when aborted and reports progress', async () => {
    const ac = new AbortController()
    const seen: number[] = []
    const run = runExperiment(await prepareExperiment(spec), new LinearBackend(), 'js', {
      signal: ac.signal,
      onTrial: (done, total) => {
        seen.push(done)
        expect(total).toBe(22)
        if (done === 3) ac.abort(new Error('interrupted'))
      },
    })
    await expect(run).rejects.toThrow('interrupted')
    expect(seen).toEqual([1, 2, 3])
  })
})

describe('harness: batch order', () => {
  it('keeps row order when one batch holds every row: shuffling would only reorder a sum', async () => {
    const backend = new LinearBackend()
    await runSingle(await prepareExperiment({ ...spec, batchSize: 'full', shuffle: true }), backend, 'js', {
      seed: 0,
      stage: 'refit',
    })
    const order = backend.jobs[0]?.order
    expect(Array.from(order?.(3) ?? [])).toEqual([0, 1, 2, 3, 4, 5, 6])
    const small = new LinearBackend()
    await runSingle(await prepareExperiment({ ...spec, batchSize: 2, shuffle: true }), small, 'js', {
      seed: 0,
      stage: 'refit',
    })
    expect(Array.from(small.jobs[0]?.order?.(3) ?? [])).not.toEqual([0, 1, 2, 3, 4, 5, 6])
  })
})

describe('harness: one training (dualfit train)', () => {
  it("runs the spec's own values for one seed, grid and CV aside, with the history kept by the harness", async () => {
    const backend = new LinearBackend()
    const r = await runSingle(await prepareExperiment(spec), backend, 'js', { seed: 1, stage: 'refit' })
    expect(r.trials.map((t) => t.id)).toEqual(['refit/p0/s1'])
    expect(backend.jobs).toHaveLength(1)
    expect(backend.jobs[0]?.optimizer.lr).toBe(0.1)
    expect(backend.jobs[0]?.data.n).toBe(7)
    expect(r.trials[0]?.history.loss).toHaveLength(60)
    expect(r.trials[0]?.epochsRun).toBe(60)
    expect(r.grid.points).toEqual([{}])
  })

  it("applies the spec's early-stopping rule when asked", async () => {
    const r = await runSingle(await prepareExperiment(spec), new LinearBackend(), 'js', {
      seed: 0,
      stage: 'early-stopping',
    })
    const t = r.trials[0]
    expect(t?.stoppedEpoch).not.toBeNull()
    expect(t?.epochsRun).toBe((t?.stoppedEpoch as number) + 1)
  })

  it('refuses a spec that would train nothing', async () => {
    await expect(
      prepareExperiment({ ...spec, grid: {}, cv: null, earlyStopping: null, refit: false }, 's.json'),
    ).rejects.toThrow(
      's.json: refit: expected true when there is no grid, cv or earlyStopping (nothing would train)',
    )
  })
})

describe('core stays backend-neutral', () => {
  it('depends on neither TensorFlow.js nor ONNX Runtime', async () => {
    const pkg = (await import('../package.json', { with: { type: 'json' } })).default as {
      dependencies: Record<string, string>
    }
    expect(Object.keys(pkg.dependencies).filter((d) => /tensorflow|onnx/i.test(d))).toEqual([])
  })
})

describe('harness: held-out test rows and standardization', async () => {
  // y = 3a - 0.02b + 500 + noise, with columns on very different scales.
  const rng = new Rng(5, 'test-data')
  const rows = Array.from({ length: 60 }, () => [rng.uniform(50, 250), rng.uniform(1500, 5000)])
  const target = rows.map(([a, b]) => 3 * (a as number) - 0.02 * (b as number) + 500 + rng.normal() * 5)
  const dataSpec: SpecInput = {
    name: 'scaled',
    dataset: { inline: { x: rows, y: target } },
    model: { layers: [{ units: 1 }] },
    optimizer: { name: 'adam', lr: 0.05 },
    epochs: 400,
    batchSize: 'full',
    init: 'keras',
    cv: { folds: 5, shuffle: true },
    standardize: { x: true, y: true },
    split: { test: 0.2 },
  }
  const exp = await prepareExperiment(dataSpec)
  const backend = new LinearBackend()
  const result = await runExperiment(exp, backend, 'js')

  it('holds out ceil(0.2 n) seeded rows that no trial trains on, and scores the final model on them', () => {
    expect(exp.holdout?.n).toBe(12)
    expect(exp.dev.n).toBe(48)
    expect(result.data).toMatchObject({ rows: 60, testRows: 12, dropped: 0 })
    // CV trains on 4/5 of the 48 development rows, the refit on all 48: never on the 12 test rows.
    expect(backend.jobs.map((j) => j.data.n)).toEqual([38, 38, 38, 39, 39, 48])
    const refit = result.trials.find((t) => t.stage === 'refit') as TrialResult
    const w = refit.weights[0]
    const h = exp.holdout as NonNullable<typeof exp.holdout>
    let sum = 0
    for (let i = 0; i < h.n; i++) {
      const pred =
        (w?.bias[0] as number) +
        (w?.kernel[0] as number) * (h.x[2 * i] as number) +
        (w?.kernel[1] as number) * (h.x[2 * i + 1] as number)
      sum += (pred - (h.y[i] as number)) ** 2
    }
    expect(refit.testMse).toBeCloseTo(sum / h.n, 2)
    // Another split seed holds out other rows.
    return prepareExperiment({ ...dataSpec, split: { test: 0.2, seed: 1 } }).then((other) =>
      expect(Array.from(other.holdout?.y ?? [])).not.toEqual(Array.from(h.y)),
    )
  })

  it('trains on standardized columns, fitted on each training part alone', () => {
    for (const job of backend.jobs) {
      const { x, y, n } = job.data
      const meanOf = (v: Float32Array, c: number, w: number) => {
        let s = 0
        for (let i = 0; i < n; i++) s += v[i * w + c] as number
        return s / n
      }
      expect(Math.abs(meanOf(x, 0, 2))).toBeLessThan(1e-5)
      expect(Math.abs(meanOf(x, 1, 2))).toBeLessThan(1e-5)
      expect(Math.abs(meanOf(y, 0, 1))).toBeLessThan(1e-5)
    }
  })

  it('reports CV MSE in raw units, within 2% of ordinary least squares on the same folds', () => {
    type M3 = [number, number, number, number, number, number, number, number, number]
    const det3 = ([a, b, c, d, e, f, g, h, i]: M3) =>
      a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    /** Least squares y = b0 + b1 a + b2 b from the normal equations, by Cramer's rule in float64. */
    const ols = (xs: number[][], ys: number[]) => {
      const rows = xs.map((r) => [1, ...r])
      const A = [0, 1, 2].flatMap((i) =>
        [0, 1, 2].map((j) => rows.reduce((s, r) => s + (r[i] as number) * (r[j] as number), 0)),
      ) as M3
      const c = [0, 1, 2].map((i) => rows.reduce((s, r, k) => s + (r[i] as number) * (ys[k] as number), 0))
      return [0, 1, 2].map(
        (k) => det3(A.map((v, at) => (at % 3 === k ? (c[Math.floor(at / 3)] as number) : v)) as M3) / det3(A),
      )
    }
    const d = exp.dev
    const folds = kFold(d.n, 5, true, 0)
    const foldMse = folds.map((f) => {
      const pick = (idx: number[]) => ({
        xs: idx.map((i) => [d.x[2 * i] as number, d.x[2 * i + 1] as number]),
        ys: idx.map((i) => d.y[i] as number),
      })
      const tr = pick(f.train)
      const te = pick(f.test)
      const [b0, b1, b2] = ols(tr.xs, tr.ys) as [number, number, number]
      return (
        te.xs.reduce(
          (s, [a, b], k) => s + (b0 + b1 * (a as number) + b2 * (b as number) - (te.ys[k] as number)) ** 2,
          0,
        ) / te.xs.length
      )
    })
    const reference = foldMse.reduce((a, b) => a + b, 0) / foldMse.length
    const score = result.selection.scores[0]?.mean as number
    expect(Math.abs(score - reference) / reference).toBeLessThan(0.02)
  })
})

describe('selection that survives ties', () => {
  const score = (point: number, lr: number, values: number[]) => ({
    point,
    params: { 'optimizer.lr': lr },
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    sd: 0,
    se: 0,
    tie: false,
    values,
  })

  it('flags the points within one standard error of the best and picks the smallest lr among them with one-se', async () => {
    const exp = await prepareExperiment({ ...spec, grid: { 'optimizer.lr': [0.3, 0.1, 0.001, 0.01] } })
    const trials = [
      [0.3, [1.0, 1.2, 1.1]],
      [0.1, [1.05, 1.15, 1.25]],
      [0.001, [3, 3.2, 3.1]],
      [0.01, [1.1, 1.4, 1.3]],
    ].flatMap(([, values], point) =>
      (values as number[]).map(
        (v, fold) => ({ stage: 'search', point, fold, testMse: v }) as unknown as TrialResult,
      ),
    )
    const scores = scorePoints(exp, trials)
    // Best: lr 0.3, mean 1.1, se 0.1/sqrt(3) = 0.0577; lr 0.1 (1.15) ties, lr 0.01 (1.267) does not.
    expect(scores.map((s) => s.tie)).toEqual([true, true, false, false])
    expect(scores[0]?.se).toBeCloseTo(0.1 / Math.sqrt(3), 12)
    expect(selectPoint(scores, 'best')).toBe(0)
    expect(selectPoint(scores, 'one-se')).toBe(1)
  })

  it('ties CV MSEs within report.tolerance squared of the best, where scores reach float32 rounding', async () => {
    // The seed's Keras protocol: lr 0.2 scores ~1e-11 per fold, lr 0.1 ~1e-5 with its slowest folds.
    const grid = { 'optimizer.lr': [0.1, 0.2, 0.3] }
    const trials = [
      [2e-4, 6e-5, 7e-12],
      [3e-12, 7e-12, 9e-12],
      [0.3, 7e-12, 2e-12],
    ].flatMap((values, point) =>
      values.map((v, fold) => ({ stage: 'search', point, fold, testMse: v }) as unknown as TrialResult),
    )
    const strict = scorePoints(
      await prepareExperiment({ ...spec, grid, report: { tolerance: 1e-4 } }),
      trials,
    )
    expect(strict.map((s) => s.tie)).toEqual([false, true, false])
    const loose = scorePoints(await prepareExperiment({ ...spec, grid }), trials)
    // Default tolerance 0.01: lr 0.1's mean 8.7e-5 is within 1e-4 of the best; lr 0.3's 0.1 is not.
    expect(loose.map((s) => s.tie)).toEqual([true, true, false])
    expect(selectPoint(loose, 'one-se')).toBe(0)
    expect(selectPoint(loose, 'best')).toBe(1)
  })

  it('without an lr grid, one-se keeps the first tied point', () => {
    const scores = [score(0, 0.1, [2]), score(1, 0.2, [1]), score(2, 0.3, [1])].map((s) => ({
      ...s,
      params: { epochs: s.point },
      tie: s.point > 0,
    }))
    expect(selectPoint(scores, 'one-se')).toBe(1)
  })
})
