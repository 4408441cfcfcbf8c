/** Parity calibrated by the problem's own noise (issue 21), on results made by hand from one real run. */
import { describe, expect, it } from 'vitest'
import {
  calibrationText,
  type ExperimentResult,
  parity,
  prepareExperiment,
  runExperiment,
  type TrainSettings,
  ulpWeights,
  wantsCalibration,
} from '../src/index.js'
import { buildJob } from '../src/trial.js'
import { LinearBackend } from './linear-backend.js'

const spec = {
  name: 'calib',
  dataset: { builtin: 'celsius-fahrenheit' },
  model: { layers: [{ units: 1, activation: 'linear' }] },
  optimizer: { name: 'adam', lr: 0.1 },
  standardize: { x: true, y: true },
  epochs: 5,
  batchSize: 'full',
  seeds: [0],
} as const

const exp = await prepareExperiment(spec, 'calib')
const reference = await runExperiment(exp, new LinearBackend(), 'js')

/** The reference with its final bias and every loss after the first scaled by 1 + `by`. */
function moved(by: number, r = reference): ExperimentResult {
  const out = structuredClone(r)
  for (const t of out.trials) {
    t.history.loss = t.history.loss.map((l, e) => (e === 0 ? l : l * (1 + by)))
    t.weights = t.weights.map((w) => ({ ...w, bias: w.bias.map((b) => b + by) }))
  }
  return out
}

describe('ulp perturbation', () => {
  it('moves every nonzero initial weight and training row up by one float32 ulp, and no class index', () => {
    const trial = { id: 'refit/p0/s0', stage: 'refit', point: 0, params: {}, fold: null, seed: 0 } as const
    const plain = buildJob(exp, trial, 'js').job
    const moved = buildJob(exp, trial, 'js', 'ulp').job
    const w = plain.initialWeights?.[0]?.kernel[0] as number
    const next = moved.initialWeights?.[0]?.kernel[0] as number
    expect(next).toBeGreaterThan(w)
    // One ulp: nothing in float32 lies between them.
    expect(Math.fround((w + next) / 2)).toSatisfy((m: number) => m === w || m === next)
    expect(moved.initialWeights?.[0]?.bias[0]).toBe(0)
    expect(moved.data.x[1]).not.toBe(plain.data.x[1])
    expect(moved.data.y[1]).not.toBe(plain.data.y[1])
    const neg = ulpWeights([{ inputs: 1, units: 1, kernel: Float32Array.of(-1), bias: Float32Array.of(0) }])
    expect(neg[0]?.kernel[0]).toBe(Math.fround(-1 + 2 ** -24))
  })
})

describe('calibrated verdict', () => {
  const plain = parity(reference, moved(0.01))

  it('wants a calibration when beyond tolerance with nothing to name; none is made without the rerun', () => {
    expect(plain.verdict).toBe('beyond')
    expect(plain.differences).toEqual([])
    expect(plain.calibration).toBeUndefined()
    expect(wantsCalibration(plain)).toBe(true)
    expect(wantsCalibration(parity(reference, structuredClone(reference)))).toBe(false)
  })

  it("passes within twice the first backend's own difference from itself, naming both numbers", () => {
    const p = parity(reference, moved(0.01), undefined, { noise: moved(0.008) })
    expect(p.ok).toBe(true)
    expect(p.verdict).toBe('noise')
    expect(p.cause).toBeNull()
    expect(p.calibration).toMatchObject({ possible: true, within: true, backend: 'test-linear:js' })
    const [line, params] = calibrationText(p)
    expect(line).toMatch(
      /^loss curves of the backends \S+ apart .*; test-linear:js \S+ apart from itself from starts and rows one ulp away .*: within the problem's own noise \(2x it allowed\)$/,
    )
    // The bias moved most, relative to the layer's largest weight.
    expect(p.calibration?.possible && p.calibration.parameters[0]).toMatchObject({
      layer: 1,
      part: 'bias',
      index: [0],
    })
    expect(params).toMatch(/^parting most from itself, in refit\/p0\/s0: layer 1 bias\[0\] .*adam divides it/)
  })

  it('fails beyond the band, with the numbers in the cause', () => {
    const p = parity(reference, moved(0.01), undefined, { noise: moved(0.001) })
    expect(p.ok).toBe(false)
    expect(p.verdict).toBe('beyond')
    expect(p.cause).toMatch(
      /^no setting differs: .*; beyond the problem's own noise: loss curves of the backends \S+ apart; test-linear:js \S+ apart from itself/,
    )
  })

  it('is not made when a setting differs: the setting is the cause', () => {
    const b = moved(0.01)
    const settings = b.backend.settings as TrainSettings
    b.backend.settings = { ...settings, epsilon: { value: 1e-2, placement: 'sqrt(v_hat) + eps' } }
    const p = parity(reference, b, undefined, { noise: moved(0.01) })
    expect(p.ok).toBe(false)
    expect(p.calibration).toBeUndefined()
    expect(wantsCalibration(p)).toBe(false)
    expect(p.cause).toMatch(/^Adam epsilon: /)
  })

  it("says why not under init 'framework': there are no given weights to move", () => {
    const framework = (r: ExperimentResult) => ({ ...r, spec: { ...r.spec, init: 'framework' as const } })
    const p = parity(framework(reference), framework(moved(0.01)))
    expect(p.ok).toBe(false)
    expect(p.calibration).toMatchObject({ possible: false })
    expect(wantsCalibration(p)).toBe(false)
    expect(calibrationText(p)[0]).toMatch(/^calibration is not possible: under init 'framework'/)
  })
})

describe('optimizer settings that differ', () => {
  const base = reference.backend.settings as TrainSettings
  const opt = (o: Partial<NonNullable<TrainSettings['optimizer']>>): TrainSettings => ({
    ...base,
    epsilon: null,
    optimizer: {
      name: 'rmsprop',
      rootEpsilon: { value: 1e-7, placement: 'sqrt(v + eps)' },
      momentum: null,
      rho: 0.9,
      centered: false,
      initialAccumulator: null,
      weightDecay: null,
      schedule: null,
      ...o,
    },
  })
  const diff = (a: TrainSettings, b: TrainSettings) => {
    const r = structuredClone(reference)
    r.backend.settings = b
    const l = structuredClone(reference)
    l.backend.settings = a
    return parity(l, r).differences
  }

  it("names RMSprop's rho, then epsilon's placement, then its value", () => {
    const d = diff(opt({}), opt({ rho: 0.99, rootEpsilon: { value: 1e-8, placement: 'sqrt(v) + eps' } }))
    expect(d).toHaveLength(3)
    expect(d[0]).toMatch(
      /^RMSprop rho \(PyTorch's alpha\): 0\.9 \(test-linear:js\) vs 0\.99 .*3\.16 lr vs 10\.0 lr$/,
    )
    expect(d[1]).toMatch(/^RMSprop epsilon placement: 'sqrt\(v \+ eps\)' .* vs 'sqrt\(v\) \+ eps'/)
    expect(d[2]).toBe('RMSprop epsilon: 1e-7 (test-linear:js) vs 1e-8 (test-linear:js)')
  })

  it("names Adagrad's accumulator, weight decay's form, momentum's form, and the schedule", () => {
    const ada = {
      name: 'adagrad',
      rho: null,
      rootEpsilon: { value: 1e-7, placement: 'sqrt(v + eps)' as const },
    }
    expect(diff(opt({ ...ada, initialAccumulator: 0.1 }), opt({ ...ada, initialAccumulator: 0 }))[0]).toMatch(
      /^Adagrad initial accumulator: 0\.1 .* vs 0 /,
    )
    const adam = { name: 'adam', rho: null, rootEpsilon: null }
    const d = diff(
      opt({ ...adam, weightDecay: { value: 0.01, form: 'decoupled' } }),
      opt({ ...adam, weightDecay: { value: 0.01, form: 'gradient' } }),
    )
    expect(d).toEqual([expect.stringMatching(/^weight decay form: decoupled .* vs in the gradient \(L2/)])
    const sgd = { name: 'sgd', rho: null, rootEpsilon: null }
    const m = diff(
      opt({
        ...sgd,
        momentum: { value: 0.9, form: 'v = m v - lr g; w += v', nesterov: false },
        schedule: { name: 'cosine', semantics: 'keras' },
      }),
      opt({
        ...sgd,
        momentum: { value: 0.9, form: 'v = m v + g; w -= lr v', nesterov: false },
        schedule: { name: 'cosine', semantics: 'torch' },
      }),
    )
    expect(m[0]).toMatch(/^momentum form: .*a schedule changes it here/)
    expect(m[1]).toMatch(/^cosine schedule semantics: keras .* vs torch .*Keras' holds minLr$/)
    expect(diff(opt({}), opt({ name: 'adam' }))).toEqual([
      'optimizer: rmsprop (test-linear:js) vs adam (test-linear:js)',
    ])
  })
})
