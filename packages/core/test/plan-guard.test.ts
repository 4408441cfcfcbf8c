import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  type ExperimentResult,
  type ExperimentSpec,
  finalTrials,
  loadBackend,
  MAX_TRIALS,
  parity,
  planSize,
  prepareExperiment,
  runExperiment,
  type SpecInput,
  searchTrials,
  type TrialResult,
} from '../src/index.js'
import { batchRows, trialEpochs } from '../src/plan.js'
import { LinearBackend } from './linear-backend.js'

const base: SpecInput = {
  name: 'plan',
  dataset: { builtin: 'sin', rows: 100 },
  model: { layers: [{ units: 1, activation: 'linear' }] },
  optimizer: { name: 'adam', lr: 0.1 },
  epochs: 7,
  batchSize: 8,
  seeds: [0, 1],
}

/** The plan's size the slow way: every trial built, each with its own grid point's spec. */
function enumerated(exp: Awaited<ReturnType<typeof prepareExperiment>>) {
  const folds = exp.spec.cv?.folds
  const searchRows = folds ? exp.dev.n - Math.floor(exp.dev.n / folds) : exp.dev.n
  const steps = (s: ExperimentSpec, stage: TrialResult['stage'], rows: number) =>
    trialEpochs(s, stage) * Math.ceil(rows / Math.max(1, batchRows(s, rows)))
  const search = searchTrials(exp)
  const final = finalTrials(exp, 0)
  let total = 0
  for (const t of search) total += steps(exp.points[t.point]?.spec as ExperimentSpec, 'search', searchRows)
  for (const t of final) total += steps(exp.spec, t.stage, exp.dev.n)
  return { trials: search.length + final.length, steps: total }
}

describe('planSize: the plan sized by arithmetic, before anything is built', () => {
  it.each([
    ['no search', {}],
    ['cv and early stopping', { cv: { folds: 3 }, earlyStopping: { patience: 2, maxEpochs: 11 } }],
    ['a grid over epochs and batch size', { grid: { epochs: [2, 5, 9], batchSize: [4, 'full', 200] } }],
    [
      'grid, cv and a held-out split',
      {
        grid: { 'optimizer.lr': [0.1, 0.2], batchSize: [3, 16] },
        cv: { folds: 4 },
        split: { test: 0.25 },
        refit: false,
      },
    ],
  ])('%s: the same trials and steps as the trials themselves', async (_, extra) => {
    const exp = await prepareExperiment({ ...base, ...extra }, 'plan')
    expect(planSize(exp.spec, exp.dataset.n)).toEqual(enumerated(exp))
  })
})

describe('the plan guard in prepareExperiment', () => {
  it('is told the spec and its rows before the data is made or the grid expanded', async () => {
    const lr = Array.from({ length: 50_000 }, (_, i) => (i + 1) / 1e5)
    const seen: number[] = []
    const start = performance.now()
    const refused = prepareExperiment(
      { ...base, grid: { 'optimizer.lr': lr } },
      'spec.json',
      '.',
      (s, rows) => {
        seen.push(rows)
        throw new Error(`refused ${planSize(s, rows).trials} trials`)
      },
    )
    await expect(refused).rejects.toThrow('refused 100002 trials')
    expect(seen).toEqual([100])
    // Expanding and validating 50,000 grid points takes many seconds.
    expect(performance.now() - start).toBeLessThan(1000)
  })

  it('refuses data that cannot fit in memory as float32, in one line naming the rows', async () => {
    const start = performance.now()
    await expect(
      prepareExperiment({ ...base, dataset: { builtin: 'sin', rows: 1e12 } }, 'spec.json'),
    ).rejects.toThrow(
      /^spec\.json: dataset: 1,000,000,000,000 rows of 2 float32 values take 7\.3 TB, and training holds about 4 copies: more than fits in this machine's .* of memory$/,
    )
    expect(performance.now() - start).toBeLessThan(1000)
  })

  it('refuses more trials than any run can hold, even when asked to start', async () => {
    const seeds = Array.from({ length: 400_000 }, (_, i) => i)
    await expect(
      prepareExperiment({ ...base, seeds, cv: { folds: 3 } }, 'spec.json', '.', () => undefined),
    ).rejects.toThrow(
      `spec.json: 1,600,000 trials (grid points x folds x seeds, and the final runs) can never finish: every trial's result is held in memory; at most ${MAX_TRIALS.toLocaleString('en-US')}`,
    )
  })
})

describe('parity with a diverged side', async () => {
  const exp = await prepareExperiment({ ...base, dataset: { builtin: 'meters-feet' }, seeds: [0] }, 'parity')
  const reference = await runExperiment(exp, new LinearBackend(), 'js')
  /** The run as if its losses and weights had gone to NaN from `epoch` on. */
  const divergedFrom = (epoch: number) => {
    const r = structuredClone(reference) as ExperimentResult
    for (const t of r.trials) {
      t.history.loss = t.history.loss.map((l, e) => (e >= epoch ? Number.NaN : l))
      t.weights = t.weights.map((w) => ({ ...w, kernel: w.kernel.map(() => Number.NaN) }))
    }
    return r
  }

  it('fails with the verdict diverged when both sides went to NaN alike, never within', () => {
    const p = parity(divergedFrom(3), divergedFrom(3))
    expect(p.curves.max).toBe(0)
    expect(p.ok).toBe(false)
    expect(p.verdict).toBe('diverged')
    expect(p.diverged).toEqual([
      { backend: 'test-linear:js', trial: 'refit/p0/s0' },
      { backend: 'test-linear:js', trial: 'refit/p0/s0' },
    ])
    expect(p.cause).toMatch(/diverged: a loss or weight is NaN or infinite/)
  })

  it('names only the side that diverged; finite runs keep their verdicts', () => {
    const p = parity(reference, divergedFrom(0))
    expect(p.verdict).toBe('diverged')
    expect(p.diverged).toHaveLength(1)
    expect(parity(reference, structuredClone(reference)).verdict).toBe('within')
  })
})

describe('backends that are not backend packages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dualfit-registry-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it.each(['fs', 'child_process', 'worker_threads'])(
    'never imports Node built-in %s as a backend',
    async (name) => {
      await expect(loadBackend(name)).rejects.toThrow(
        `backend '${name}': no installed package '@dualfit/${name}' or 'dualfit-backend-${name}' ('${name}' is a Node.js built-in module)`,
      )
    },
  )

  it('refuses a file that is not a JavaScript module, saying what a backend is', async () => {
    writeFileSync(join(dir, 'data.csv'), 'x,y\n1,2\n')
    await expect(loadBackend(join(dir, 'data.csv'))).rejects.toThrow(
      `is not a JavaScript module; a backend is an installed package, or a JavaScript module, that exports createBackend()`,
    )
  })
})
