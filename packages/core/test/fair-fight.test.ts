import { describe, expect, it } from 'vitest'
import {
  type ExperimentResult,
  errorFloor,
  errorScale,
  parity,
  prepareExperiment,
  relativeDifference,
  runExperiment,
  type SpecInput,
  settingDifferences,
  type TrainJob,
  type TrainSettings,
  type TrialResult,
  timeToQuality,
} from '../src/index.js'
import { LinearBackend } from './linear-backend.js'

describe('time to quality', () => {
  const ms = [10, 20, 30, 40, 50]
  const steps = [7, 14, 21, 28, 35]

  it('is the first epoch from which the error stays within tolerance, with its steps and ms', () => {
    // Within at epoch 2, out again at 3, within from 4 on: epoch 4 counts, not 2.
    expect(timeToQuality({ error: [1, 0.005, 0.02, 0.009, 0.001], ms, steps }, 0.01)).toEqual({
      epochs: 4,
      steps: 28,
      ms: 40,
    })
    expect(timeToQuality({ error: [0.01, 0, 0, 0, 0], ms, steps }, 0.01)).toEqual({
      epochs: 1,
      steps: 7,
      ms: 10,
    })
  })

  it('is null when the last epoch is outside the tolerance, or not a number', () => {
    expect(timeToQuality({ error: [0, 0, 0, 0, 0.5], ms, steps }, 0.01)).toBeNull()
    expect(timeToQuality({ error: [0, 0, 0, 0, Number.NaN], ms, steps }, 0.01)).toBeNull()
  })
})

const spec: SpecInput = {
  name: 'fair-fight',
  dataset: { builtin: 'meters-feet' },
  model: { layers: [{ units: 1, activation: 'linear' }] },
  optimizer: { name: 'adam', lr: 0.5, eps: 1e-8 },
  epochs: 300,
  batchSize: 'full',
  shuffle: false,
  init: 'torch',
  grid: { 'optimizer.lr': [0.5, 0.05] },
  selection: { score: 'train_loss' },
  report: { predict: [100], tolerance: 0.05 },
}

describe('the harness records time to quality on final runs', async () => {
  const exp = await prepareExperiment(spec, 'fair-fight')
  const result = await runExperiment(exp, new LinearBackend(), 'js')
  const refit = result.trials.find((t) => t.stage === 'refit') as TrialResult

  it('asks for weights only on final runs, and keeps the error at the report input per epoch', () => {
    expect(result.trials.filter((t) => t.history.error).map((t) => t.stage)).toEqual(['refit'])
    expect(refit.history.error).toHaveLength(refit.epochsRun)
    expect(refit.timings.epochMs).toHaveLength(refit.epochsRun)
    // The last epoch's error is the final model's.
    const last = refit.history.error?.at(-1) as number
    expect(last).toBeCloseTo(refit.predictions[0]?.absError?.[0] as number, 3)
  })

  it('reports the epoch, steps (one full batch an epoch) and ms it first stays within tolerance', () => {
    const q = refit.toQuality
    expect(q).not.toBeNull()
    const e = q?.epochs as number
    const errors = refit.history.error as number[]
    expect(errors.slice(e - 1).every((v) => v <= 0.05)).toBe(true)
    expect(errors[e - 2]).toBeGreaterThan(0.05)
    expect(q?.steps).toBe(e)
    expect(refit.timings.toQualityMs).toBe(refit.timings.epochMs?.[e - 1])
  })
})

/** Backend double that trains with another epsilon than the spec's, and says so. */
class OtherEps extends LinearBackend {
  override readonly id = 'other-eps'
  constructor(private readonly eps: number) {
    super()
  }
  private flip = (job: TrainJob): TrainJob => ({ ...job, optimizer: { ...job.optimizer, eps: this.eps } })
  override train(job: TrainJob, hooks: Parameters<LinearBackend['train']>[1]) {
    return super.train(this.flip(job), hooks)
  }
  override settings(job: TrainJob): TrainSettings {
    return super.settings(this.flip(job))
  }
}

describe('parity', async () => {
  const exp = await prepareExperiment({ ...spec, grid: {}, epochs: 60 }, 'parity')
  const run = (b: LinearBackend) => runExperiment(exp, b, 'js')
  const reference = await run(new LinearBackend())

  it('passes for identical runs: no difference, no cause', async () => {
    const p = parity(reference, await run(new LinearBackend()))
    expect(p.ok).toBe(true)
    expect(p.curves.max).toBe(0)
    expect(p.weights.max).toBe(0)
    expect(p.curves.part).toBeNull()
    expect(p.differences).toEqual([])
    expect(p.cause).toBeNull()
  })

  it('fails when one side flips Adam epsilon, says where the curves part and names epsilon', async () => {
    const flipped = await run(new OtherEps(10))
    const p = parity(reference, flipped)
    expect(p.ok).toBe(false)
    expect(p.curves.max).toBeGreaterThan(1e-4)
    // The first step is lr * g / (|g| + eps): eps 10 against 1e-8 changes it from the first epoch.
    expect(p.curves.part?.epoch).toBe(2)
    expect(p.differences).toEqual(['Adam epsilon: 1e-8 (test-linear) vs 10 (other-eps)'])
    expect(p.cause).toMatch(/^Adam epsilon: 1e-8/)
  })

  it('reports runs that stop at other epochs and other selections as mismatches', () => {
    const other = structuredClone(reference) as ExperimentResult
    const refit = other.trials[0] as TrialResult
    refit.history.loss = refit.history.loss.slice(0, 10)
    other.selection.selected = 1
    const p = parity(reference, other)
    expect(p.ok).toBe(false)
    expect(p.mismatches.join('\n')).toMatch(/epochs run differ \(early stopping\): refit\/p0\/s0 60 vs 10/)
    // One backend on both sides: the engine tells them apart.
    expect(p.mismatches).toContain('selected point 0 (test-linear:js) vs point 1 (test-linear:js)')
  })

  it('compares RMS errors, floored at float32 resolution of the targets', () => {
    expect(errorScale({ loss: { name: 'mse', delta: 1 } }, 4)).toBe(2)
    expect(errorScale({ loss: { name: 'huber', delta: 1 } }, 2)).toBe(2)
    expect(errorScale({ loss: { name: 'mae', delta: 1 } }, 3)).toBe(3)
    expect(errorFloor({ standardize: { x: false, y: false }, loss: { name: 'mse', delta: 1 } }, 4)).toBe(
      2 * 2 ** -20,
    )
    expect(errorFloor({ standardize: { x: false, y: true }, loss: { name: 'mse', delta: 1 } }, 4)).toBe(
      2 ** -20,
    )
    // Two errors at rounding level differ by their whole size, but by little of the floor.
    expect(relativeDifference(1e-9, 3e-9)).toBeCloseTo(2 / 3, 12)
    expect(relativeDifference(1e-9, 3e-9, 1e-5)).toBeCloseTo(2e-4, 12)
    expect(relativeDifference(Number.NaN, Number.NaN)).toBe(0)
    expect(relativeDifference(Number.NaN, 1)).toBe(Number.POSITIVE_INFINITY)
  })

  it('counts errors within the float32 floor of each other as equal, however small they are', () => {
    const a = structuredClone(reference) as ExperimentResult
    const b = structuredClone(reference) as ExperimentResult
    const { floor } = parity(a, b)
    const errors = (r: ExperimentResult, e: number) => {
      for (const t of r.trials) t.history.loss = t.history.loss.map(() => e ** 2)
    }
    errors(a, 2 * floor)
    // Half a floor apart: 20% of their own size, but rounding (numpy's allclose, atol = floor).
    errors(b, 2.5 * floor)
    expect(parity(a, b).verdict).toBe('within')
    expect(parity(a, b, 0).verdict).toBe('beyond')
    // A floor and a half apart: beyond.
    errors(b, 3.5 * floor)
    expect(parity(a, b).verdict).toBe('beyond')
    // Well above the floor, the tolerance is relative: 1e-4 of 1.
    errors(a, 1)
    errors(b, 1 + 2e-4)
    expect(parity(a, b).curves.max).toBeCloseTo(2e-4, 6)
  })

  it('names every setting that differs, the ones that change the first epoch first', () => {
    const a: TrainSettings = {
      initializer: 'given',
      order: 'given',
      batchSize: 7,
      epsilon: { value: 1e-7, placement: 'sqrt(v) + eps_hat' },
      lossReduction: 'mean',
    }
    const b: TrainSettings = {
      ...a,
      initializer: 'glorotNormal',
      epsilon: { value: 1e-8, placement: 'sqrt(v_hat) + eps' },
    }
    const names: [string, string] = ['keras-style', 'torch-style']
    const d = settingDifferences(a, b, names, { beta2: 0.999, fullBatch: false })
    expect(d.map((x) => x.split(':')[0])).toEqual([
      'initial weights',
      'Adam epsilon',
      'Adam epsilon placement',
    ])
    expect(d[2]).toMatch(/31\.6x eps at step 1/)
    // The order of the one batch of a full-batch epoch changes nothing.
    const shuffled = { ...a, order: 'tfjs fit shuffle' }
    expect(settingDifferences(a, shuffled, names, { beta2: 0.999, fullBatch: false })).toEqual([
      'batch order: given (keras-style) vs tfjs fit shuffle (torch-style)',
    ])
    expect(settingDifferences(a, shuffled, names, { beta2: 0.999, fullBatch: true })).toEqual([])
    expect(settingDifferences(a, null, ['keras-style', 'old'], { beta2: 0.999, fullBatch: false })).toEqual([
      'settings unknown for old (results from an older dualfit)',
    ])
  })
})
