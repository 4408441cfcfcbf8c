import { describe, expect, it } from 'vitest'
import {
  EarlyStopping,
  type ExperimentResult,
  prepareExperiment,
  runExperiment,
  type SpecInput,
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
  const exp = prepareExperiment(spec, 'harness-test')
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
    const again = await runExperiment(prepareExperiment(spec, 'harness-test'), new LinearBackend(), 'js')
    expect(withoutTimings(again)).toEqual(withoutTimings(result))
    expect(again.specHash).toBe(result.specHash)
  })

  it('gives the same results, in the planned order, when trials run concurrently', async () => {
    const backend = new LinearBackend()
    const done: number[] = []
    const concurrent = await runExperiment(prepareExperiment(spec, 'harness-test'), backend, 'js', {
      concurrency: 3,
      onTrial: (n) => done.push(n),
    })
    expect(withoutTimings(concurrent)).toEqual(withoutTimings(result))
    expect(done).toEqual(Array.from({ length: 22 }, (_, i) => i + 1))
    expect(concurrent.environment.workers).toBe(3)
  })

  it('records a versioned results object', () => {
    expect(result.schemaVersion).toBe(1)
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
      prepareExperiment({ ...spec, cv: null, seeds: [0], earlyStopping: null, refit: false }),
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
      prepareExperiment({ ...spec, grid: {}, cv: null, earlyStopping: null }),
      new LinearBackend(),
      'js',
    )
    expect(r.trials.map((t) => t.id)).toEqual(['refit/p0/s0', 'refit/p0/s1'])
  })

  it('holds out the last rows for val_loss (Keras validation_split)', async () => {
    const backend = new LinearBackend()
    await runExperiment(
      prepareExperiment({
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
    const exp = prepareExperiment(spec)
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
    const run = runExperiment(prepareExperiment(spec), new LinearBackend(), 'js', {
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

describe('core stays backend-neutral', () => {
  it('depends on neither TensorFlow.js nor ONNX Runtime', async () => {
    const pkg = (await import('../package.json', { with: { type: 'json' } })).default as {
      dependencies: Record<string, string>
    }
    expect(Object.keys(pkg.dependencies).filter((d) => /tensorflow|onnx/i.test(d))).toEqual([])
  })
})
