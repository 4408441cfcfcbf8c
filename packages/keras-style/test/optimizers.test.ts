import {
  defaultEps,
  FORMULAS,
  type InitConvention,
  type OptimizerSpec,
  resolveOptimizer,
  resolveSchedule,
  type ScheduleSpec,
  scheduledLr,
  type TrainJob,
  type TrainOptimizer,
} from '@dualfit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useEngine } from '../src/engines.js'
import { createBackend } from '../src/index.js'
import { makeOptimizer } from '../src/optimizers.js'
import { dense1, ENGINES, fit, job, SEED } from './helpers.js'
import { claimed, type ReferenceOptimizer, referenceTrain } from './reference.js'

const backend = createBackend()
afterAll(() => backend.dispose())

const INITS = ['keras', 'torch', 'tfjs', 'framework'] as const
const START: [number, number] = [0.5, 0.25]
/** Float32 arithmetic over 3 steps, relative to the weights' size. */
const TOLERANCE = 2e-5

type Case = Partial<OptimizerSpec> & Pick<OptimizerSpec, 'name' | 'lr'>

/**
 * eps 0.5 makes its placement visible (at 1e-7 both are the same steps to float32); the schedule
 * halves lr every epoch, which tells the momentum forms apart. `distinct`: keras' and torch's
 * formulas take different steps with the same hyperparameters.
 */
const CASES: [string, Case, boolean][] = [
  ['sgd', { name: 'sgd', lr: 1e-3 }, false],
  ['sgd momentum', { name: 'sgd', lr: 1e-3, momentum: 0.9 }, true],
  ['sgd nesterov', { name: 'sgd', lr: 1e-3, momentum: 0.9, nesterov: true }, true],
  ['sgd momentum weight decay', { name: 'sgd', lr: 1e-3, momentum: 0.9, weightDecay: 0.5 }, true],
  ['adam', { name: 'adam', lr: 0.1 }, false],
  ['adam eps 0.5', { name: 'adam', lr: 0.1, eps: 0.5 }, true],
  ['adam weight decay', { name: 'adam', lr: 0.1, weightDecay: 0.5 }, true],
  ['adamw eps 0.5', { name: 'adamw', lr: 0.1, eps: 0.5 }, true],
  ['rmsprop', { name: 'rmsprop', lr: 0.01 }, false],
  ['rmsprop momentum eps 0.5', { name: 'rmsprop', lr: 0.01, momentum: 0.9, eps: 0.5 }, true],
  ['rmsprop centered', { name: 'rmsprop', lr: 0.01, centered: true }, false],
  [
    'rmsprop centered momentum weight decay',
    { name: 'rmsprop', lr: 0.01, centered: true, momentum: 0.5, eps: 0.5, weightDecay: 0.5 },
    true,
  ],
  ['adagrad', { name: 'adagrad', lr: 0.1 }, false],
  ['adagrad eps 0.5 weight decay', { name: 'adagrad', lr: 0.1, eps: 0.5, weightDecay: 0.5 }, true],
]
const HALVING: ScheduleSpec = { name: 'exponential', gamma: 0.5 }

/** The optimizer a spec with `c` gives under `init` (parseSpec's eps, resolveOptimizer's rest). */
function optimizer(c: Case, init: InitConvention): TrainOptimizer {
  const eps = c.eps ?? defaultEps(init, c.name)
  return resolveOptimizer({ beta1: 0.9, beta2: 0.999, momentum: 0, ...c, eps }, init)
}

const jobFor = (c: Case, init: InitConvention, engine: string, epochs = 3): TrainJob =>
  job({
    engine,
    epochs,
    initialWeights: dense1(...START),
    optimizer: optimizer(c, init),
    schedule: resolveSchedule(HALVING, init),
  })

const lrsOf = (o: TrainOptimizer, epochs: number) => Array.from({ length: epochs }, (_, e) => o.lr * 0.5 ** e)

function expectClose(actual: readonly number[], expected: readonly number[], tolerance = TOLERANCE): void {
  expect(actual).toHaveLength(expected.length)
  actual.forEach((a, i) => {
    const x = expected[i] as number
    expect(Math.abs(a - x), `${a} vs ${x} at ${i}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(x)))
  })
}

describe.each(ENGINES)('optimizers on %s', (engine) => {
  describe.each(INITS)('under init %s', (init) => {
    it.each(CASES)('%s: 3 steps are the float64 reference of the formula settings() states', async (_, c) => {
      const j = jobFor(c, init, engine)
      const r = await fit(backend, j, {
        onEpochEnd: async () => 'continue',
      })
      const ref = referenceTrain(
        claimed(j.optimizer, backend.settings(j)),
        lrsOf(j.optimizer, 3),
        SEED,
        START,
      )
      expectClose([r.weights[0]?.kernel[0] as number, r.weights[0]?.bias[0] as number], ref.weights)
      expectClose(r.history.loss, ref.losses)
    })
  })
})

describe('settings(job)', () => {
  it.each(INITS)(
    "states the convention's formulas and defaults under init %s (framework: TF.js')",
    (init) => {
      const f = FORMULAS[init === 'framework' ? 'tfjs' : init]
      const torch = init === 'torch'
      const defaults = { eps: torch ? 1e-8 : 1e-7, rho: torch ? 0.99 : 0.9, accumulator: torch ? 0 : 0.1 }
      for (const [, c] of CASES) {
        const j = jobFor(c, init, 'cpu')
        const s = backend.settings(j)
        const o = s.optimizer
        const eps = c.eps ?? (c.name === 'adagrad' && torch ? 1e-10 : defaults.eps)
        const adam = c.name === 'adam' || c.name === 'adamw'
        const root = c.name === 'rmsprop' || c.name === 'adagrad'
        expect(s.epsilon).toEqual(adam ? { value: eps, placement: f.adamEpsilon } : null)
        expect(o?.name).toBe(c.name)
        expect(o?.rootEpsilon).toEqual(root ? { value: eps, placement: f.rootEpsilon } : null)
        // RMSprop's momentum: lr inside in Keras and TF.js, outside in PyTorch; SGD's the formula's.
        const form = c.name === 'sgd' ? f.momentum : FORMULAS[torch ? 'torch' : 'keras'].momentum
        expect(o?.momentum).toEqual(
          c.momentum ? { value: c.momentum, form, nesterov: c.nesterov ?? false } : null,
        )
        expect(o?.rho).toBe(c.name === 'rmsprop' ? defaults.rho : null)
        expect(o?.centered).toBe(c.name === 'rmsprop' ? (c.centered ?? false) : null)
        expect(o?.initialAccumulator).toBe(c.name === 'adagrad' ? defaults.accumulator : null)
        const wd = c.weightDecay ?? (c.name === 'adamw' ? (torch ? 0.01 : 0.004) : 0)
        const decay = c.name === 'adamw' ? 'decoupled' : f.weightDecay
        expect(o?.weightDecay).toEqual(wd > 0 ? { value: wd, form: decay } : null)
        expect(o?.schedule).toEqual({ name: 'exponential', semantics: init === 'torch' ? 'torch' : 'keras' })
      }
    },
  )

  it('states no schedule without one, and Adam under init keras with eps_hat', () => {
    const j = job({ optimizer: optimizer({ name: 'adam', lr: 0.1 }, 'keras') })
    const s = backend.settings(j)
    expect(s.epsilon).toEqual({ value: 1e-7, placement: 'sqrt(v) + eps_hat' })
    expect(s.optimizer?.schedule).toBeNull()
  })
})

describe('the cases tell the formulas apart', () => {
  it.each(CASES.filter(([, , distinct]) => distinct))(
    '%s: keras and torch formulas part by far more than the tolerance',
    (_, c) => {
      const claims = (init: 'keras' | 'torch') => {
        const j = jobFor(c, init, 'cpu')
        return claimed(j.optimizer, backend.settings(j))
      }
      const [k, t] = [claims('keras'), claims('torch')]
      // Same hyperparameters, the other's formulas.
      const formulas = ({ adamEpsilon, rootEpsilon, momentumForm, decay }: ReferenceOptimizer) => ({
        adamEpsilon,
        rootEpsilon,
        momentumForm,
        decay,
      })
      const lrs = lrsOf(optimizer(c, 'keras'), 3)
      const a = referenceTrain(k, lrs, SEED, START).weights
      const b = referenceTrain({ ...k, ...formulas(t) }, lrs, SEED, START).weights
      const gap = Math.max(...a.map((x, i) => Math.abs(x - (b[i] as number)) / Math.max(1, Math.abs(x))))
      expect(gap).toBeGreaterThan(100 * TOLERANCE)
    },
  )
})

describe("TF.js' own optimizers where their formula is the one asked for", () => {
  beforeAll(() => useEngine('cpu'))
  const EXPECTED: [InitConvention, Case, string][] = [
    ['keras', { name: 'sgd', lr: 0.1 }, 'SGD'],
    ['keras', { name: 'sgd', lr: 0.1, momentum: 0.9 }, 'Momentum'],
    ['torch', { name: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true }, 'Momentum'],
    ['framework', { name: 'sgd', lr: 0.1, momentum: 0.9 }, 'Momentum'],
    ['keras', { name: 'adam', lr: 0.1 }, 'FormulaOptimizer'],
    ['torch', { name: 'adam', lr: 0.1 }, 'Adam'],
    ['tfjs', { name: 'adam', lr: 0.1 }, 'Adam'],
    ['framework', { name: 'adamw', lr: 0.1 }, 'FormulaOptimizer'],
    ['keras', { name: 'rmsprop', lr: 0.1, momentum: 0.9 }, 'RMSProp'],
    ['torch', { name: 'rmsprop', lr: 0.1 }, 'FormulaOptimizer'],
    ['framework', { name: 'rmsprop', lr: 0.1, centered: true }, 'FormulaOptimizer'],
    ['keras', { name: 'adagrad', lr: 0.1 }, 'Adagrad'],
    ['keras', { name: 'adagrad', lr: 0.1, eps: 1e-3 }, 'FormulaOptimizer'],
    ['torch', { name: 'adagrad', lr: 0.1 }, 'FormulaOptimizer'],
    ['tfjs', { name: 'sgd', lr: 0.1, weightDecay: 0.1 }, 'FormulaOptimizer'],
  ]
  it.each(EXPECTED)('under %s, %o', (init, c, type) => {
    const o = makeOptimizer(optimizer(c, init), false)
    // By name: tf.Optimizer's Symbol.hasInstance makes every optimizer an instanceof every class.
    expect(o.getClassName()).toBe(type)
    o.dispose()
  })

  it("runs Keras' momentum form itself once a schedule changes the lr", () => {
    const o = makeOptimizer(optimizer({ name: 'sgd', lr: 0.1, momentum: 0.9 }, 'keras'), true)
    expect(o.getClassName()).toBe('FormulaOptimizer')
    o.dispose()
  })
})

describe('layers l2', () => {
  it.each(ENGINES)(
    'adds λ Σ kernel² to the loss, its gradient to the steps, and reports it in loss and valLoss on %s',
    async (engine) => {
      const l2 = 0.3
      const o = optimizer({ name: 'sgd', lr: 1e-3 }, 'keras')
      const j = job({
        engine,
        epochs: 3,
        model: { inputs: 1, layers: [{ units: 1, activation: 'linear', l2 }] },
        initialWeights: dense1(...START),
        optimizer: o,
        validation: SEED,
      })
      const r = await fit(backend, j)
      // A fourth step at lr 0 gives the loss after the third.
      const ref = referenceTrain(claimed(o, backend.settings(j)), [o.lr, o.lr, o.lr, 0], SEED, START, l2)
      expectClose(r.history.loss, ref.losses.slice(0, 3))
      expectClose([r.weights[0]?.kernel[0] as number, r.weights[0]?.bias[0] as number], ref.weights)
      // valLoss is the loss after each epoch's step: on the training rows, the next step's loss.
      expectClose(r.history.valLoss ?? [], ref.losses.slice(1))
      const plain = await fit(backend, {
        ...j,
        model: { inputs: 1, layers: [{ units: 1, activation: 'linear' }] },
      })
      expect((r.history.loss[0] as number) - (plain.history.loss[0] as number)).toBeCloseTo(
        l2 * START[0] ** 2,
        4,
      )
    },
  )
})

describe('schedules', () => {
  const SCHEDULES: ScheduleSpec[] = [
    { name: 'step', stepSize: 3, gamma: 0.5 },
    { name: 'exponential', gamma: 0.8 },
    { name: 'cosine', tMax: 5, minLr: 1e-4 },
    { name: 'plateau', factor: 0.5, patience: 1, threshold: 0.5, cooldown: 1, minLr: 1e-5 },
  ]
  const EPOCHS = 20
  describe.each(['keras', 'torch', 'framework'] as const)('under init %s', (init) => {
    it.each(SCHEDULES)('$name: lr per epoch is scheduledLr, and the steps run at it', async (s) => {
      const schedule = resolveSchedule(s, init)
      const o = optimizer({ name: 'sgd', lr: 2e-3 }, init)
      const j = job({ epochs: EPOCHS, initialWeights: dense1(...START), optimizer: o, schedule })
      const lr: number[] = []
      const r = await fit(backend, j, {
        onEpochEnd: async (_, logs) => {
          lr.push(logs.lr ?? Number.NaN)
          return 'continue'
        },
      })
      const expected = scheduledLr(o.lr, s, schedule?.semantics ?? 'keras', r.history.loss)
      expect(lr).toHaveLength(EPOCHS)
      expectClose(lr, expected, 1e-12)
      // Not a constant lr: the schedule acts within these epochs.
      expect(new Set(lr).size).toBeGreaterThan(1)
      const ref = referenceTrain(claimed(o, backend.settings(j)), lr, SEED, START)
      expectClose([r.weights[0]?.kernel[0] as number, r.weights[0]?.bias[0] as number], ref.weights)
    })
  })

  it('cosine and plateau differ between the semantics, as their sources do', async () => {
    const lrs = async (s: ScheduleSpec, init: 'keras' | 'torch') => {
      const lr: number[] = []
      await fit(
        backend,
        job({
          epochs: EPOCHS,
          initialWeights: dense1(...START),
          optimizer: optimizer({ name: 'sgd', lr: 2e-3 }, init),
          schedule: resolveSchedule(s, init),
        }),
        {
          onEpochEnd: async (_, logs) => {
            lr.push(logs.lr ?? Number.NaN)
            return 'continue'
          },
        },
      )
      return lr
    }
    for (const s of SCHEDULES.slice(2)) expect(await lrs(s, 'keras')).not.toEqual(await lrs(s, 'torch'))
  })
})
