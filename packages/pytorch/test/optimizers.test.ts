/**
 * Issue 21 on real PyTorch: every optimizer under every formula (keras, torch, tfjs, and null: PyTorch's
 * own), schedules in both semantics and layers' l2, against the testkit's float64 reference of the
 * formulas in core's optimizers.ts. The reference runs what settings(job) claims, so a wrong claim
 * fails the comparison, and each claim is also checked against the convention it should state.
 */
import {
  claimedFormula,
  type ReferenceJob,
  referenceForward,
  referenceLoss,
  referenceTrain,
  relativeError,
  TORCH_FORMULA,
  type Weights64,
} from '@dualfit/backend-testkit/reference'
import {
  batchOrder,
  type DataSplit,
  defaultEps,
  type EpochLogs,
  type InitConvention,
  initialWeights,
  type LayerSpec,
  type OptimizerSpec,
  resolveOptimizer,
  resolveSchedule,
  type ScheduleSpec,
  scheduledLr,
  type TrainJob,
  type TrainSettings,
} from '@dualfit/core'
import { afterAll, describe, expect, it } from 'vitest'
import { createBackend } from '../src/index.js'
import { titled, unavailableReason } from './helpers.js'

const reason = await unavailableReason()

type Applied = NonNullable<TrainSettings['optimizer']>
const TORCH_MOMENTUM = TORCH_FORMULA.momentum

const LAYERS: LayerSpec[] = [
  { units: 3, activation: 'tanh' },
  { units: 1, activation: 'linear' },
]

/** 12 rows, 2 inputs, 1 output. */
function data(rows = 12): DataSplit {
  const x: number[] = []
  const y: number[] = []
  for (let r = 0; r < rows; r++) {
    const a = ((r * 7) % 12) / 4 - 1.5
    const b = ((r * 5) % 12) / 6 - 1
    x.push(a, b)
    y.push(Math.sin(a) + 0.5 * b)
  }
  return { n: rows, inputs: 2, outputs: 1, x: Float32Array.from(x), y: Float32Array.from(y) }
}

function job(
  spec: Partial<OptimizerSpec> & Pick<OptimizerSpec, 'name'>,
  init: InitConvention,
  over: Partial<TrainJob> & { scheduleSpec?: ScheduleSpec } = {},
): TrainJob {
  const d = over.data ?? data()
  const { scheduleSpec, ...rest } = over
  const layers = rest.model?.layers ?? LAYERS
  return {
    engine: 'cpu',
    model: { inputs: 2, layers },
    loss: { name: 'mse', delta: 1 },
    optimizer: resolveOptimizer(
      {
        lr: 0.05,
        beta1: 0.9,
        beta2: 0.999,
        momentum: 0,
        ...spec,
        eps: spec.eps ?? defaultEps(init, spec.name),
      },
      init,
    ),
    schedule: resolveSchedule(scheduleSpec, init),
    epochs: 3,
    batchSize: 5,
    data: d,
    initialWeights: initialWeights('torch', 2, layers, 4, 'pytorch-optimizers'),
    order: batchOrder(d.n, true, 4, 'pytorch-optimizers'),
    seed: 4,
    ...rest,
  }
}

/**
 * The testkit's float64 reference of what settings(j) claims: its values and formula choices (the
 * job's own only where the claim is null, i.e. does not apply), so a wrong claim fails the comparison.
 */
function claimedRun(j: TrainJob, s: TrainSettings) {
  const c = s.optimizer as Applied
  const formula = claimedFormula(s)
  const optimizer = {
    ...j.optimizer,
    eps: s.epsilon?.value ?? c.rootEpsilon?.value ?? null,
    momentum: c.momentum?.value ?? 0,
    nesterov: c.momentum?.nesterov ?? false,
    rho: c.rho,
    centered: c.centered ?? false,
    initialAccumulator: c.initialAccumulator,
    weightDecay: c.weightDecay?.value ?? 0,
  }
  const schedule = j.schedule && c.schedule ? { ...j.schedule, semantics: c.schedule.semantics } : null
  const { initialWeights, order } = j as TrainJob & Pick<ReferenceJob, 'initialWeights' | 'order'>
  return referenceTrain({ ...j, optimizer, schedule, formula, initialWeights, order })
}

/** λ Σ kernel² over the layers. */
const penalty = (layers: LayerSpec[], weights: Weights64[]) =>
  weights.reduce((s, w, k) => s + (layers[k]?.l2 ?? 0) * w.kernel.reduce((a, v) => a + v * v, 0), 0)

const record = () => {
  const logs: EpochLogs[] = []
  return {
    logs,
    hooks: {
      onEpochEnd: async (_: number, l: EpochLogs) => {
        logs.push(l)
        return 'continue' as const
      },
    },
  }
}

const worst = (a: { kernel: ArrayLike<number>; bias: ArrayLike<number> }[], b: Weights64[]) =>
  Math.max(
    ...a.flatMap((w, k) => [
      relativeError(w.kernel, b[k]?.kernel ?? []),
      relativeError(w.bias, b[k]?.bias ?? []),
    ]),
  )

const FORMULA_INITS = ['torch', 'keras', 'tfjs', 'framework'] as const
const EXPONENTIAL: ScheduleSpec = { name: 'exponential', gamma: 0.6 }

/** Each optimizer with the settings that tell its formulas apart: eps 0.1 (placement), a schedule (momentum form), decay. */
const CASES: [string, Partial<OptimizerSpec> & Pick<OptimizerSpec, 'name'>][] = [
  ['sgd', { name: 'sgd', lr: 0.1 }],
  ['sgd momentum, weight decay', { name: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0.05 }],
  ['sgd nesterov', { name: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true }],
  ['adam, eps 0.1, weight decay', { name: 'adam', eps: 0.1, weightDecay: 0.05 }],
  ['adamw, eps 0.1', { name: 'adamw', eps: 0.1, weightDecay: 0.1 }],
  ['adamw, default decay', { name: 'adamw' }],
  ['rmsprop, eps 0.1', { name: 'rmsprop', lr: 0.01, eps: 0.1 }],
  ['rmsprop centered, momentum', { name: 'rmsprop', lr: 0.01, eps: 0.01, momentum: 0.8, centered: true }],
  ['rmsprop, weight decay', { name: 'rmsprop', lr: 0.01, eps: 0.1, weightDecay: 0.05 }],
  ['adagrad, eps 0.1', { name: 'adagrad', lr: 0.1, eps: 0.1 }],
  [
    'adagrad, accumulator 0.5, weight decay',
    { name: 'adagrad', lr: 0.1, initialAccumulator: 0.5, weightDecay: 0.05 },
  ],
]

describe.skipIf(reason)(titled('pytorch backend: the optimizer family, schedules and l2', reason), () => {
  const backend = createBackend()
  afterAll(() => backend.dispose())

  describe.each(FORMULA_INITS)('init %s', (init) => {
    it.each(CASES)('%s: steps as the float64 reference of the formula it claims', async (_, spec) => {
      const j = job(spec, init, { scheduleSpec: EXPONENTIAL })
      const settings = backend.settings(j)
      const r = record()
      const result = await backend.train(j, r.hooks)
      const ref = claimedRun(j, settings)
      expect(r.logs.map((l) => l.lr)).toEqual(ref.lrs)
      expect(
        relativeError(
          r.logs.map((l) => l.loss),
          ref.losses,
        ),
      ).toBeLessThan(2e-5)
      expect(worst(result.weights, ref.weights)).toBeLessThan(2e-5)
    })
  })

  it.each(FORMULA_INITS)('claims the formulas of init %s (null: PyTorch’s own and its defaults)', (init) => {
    const keras = init === 'keras' || init === 'tfjs'
    const torchOwn = init === 'torch' || init === 'framework'
    const claim = (spec: Partial<OptimizerSpec> & Pick<OptimizerSpec, 'name'>, schedule?: ScheduleSpec) =>
      backend.settings(
        job({ eps: init === 'framework' ? null : undefined, ...spec }, init, { scheduleSpec: schedule }),
      )
    // Adam: Keras' eps_hat under keras only; TF.js and PyTorch add eps to sqrt(v_hat).
    expect(claim({ name: 'adam', eps: 1e-7 }).epsilon?.placement).toBe(
      init === 'keras' ? 'sqrt(v) + eps_hat' : 'sqrt(v_hat) + eps',
    )
    const sgd = claim(
      { name: 'sgd', momentum: 0.9, weightDecay: 0.01 },
      { name: 'cosine', tMax: 5, minLr: 0 },
    )
    expect(sgd.optimizer?.momentum).toEqual({
      value: 0.9,
      form: init === 'keras' ? 'v = m v - lr g; w += v' : TORCH_MOMENTUM,
      nesterov: false,
    })
    expect(sgd.optimizer?.weightDecay).toEqual({ value: 0.01, form: keras ? 'decoupled' : 'gradient' })
    expect(sgd.optimizer?.schedule).toEqual({ name: 'cosine', semantics: keras ? 'keras' : 'torch' })
    expect(sgd.epsilon).toBeNull()
    expect(sgd.optimizer?.rootEpsilon).toBeNull()
    const rms = claim({ name: 'rmsprop', momentum: 0.5 }).optimizer
    expect(rms?.rootEpsilon?.placement).toBe(keras ? 'sqrt(v + eps)' : 'sqrt(v) + eps')
    expect(rms?.momentum?.form).toBe(keras ? 'v = m v - lr g; w += v' : TORCH_MOMENTUM)
    expect([rms?.rho, rms?.centered, rms?.initialAccumulator, rms?.weightDecay]).toEqual([
      keras ? 0.9 : 0.99,
      false,
      null,
      null,
    ])
    const adagrad = claim({ name: 'adagrad' }).optimizer
    expect(adagrad?.initialAccumulator).toBe(keras ? 0.1 : 0)
    expect(adagrad?.rootEpsilon?.value).toBe(torchOwn ? 1e-10 : 1e-7)
    const adamw = claim({ name: 'adamw' })
    expect(adamw.optimizer?.weightDecay).toEqual({ value: keras ? 0.004 : 0.01, form: 'decoupled' })
    expect(adamw.epsilon?.value).toBe(torchOwn ? 1e-8 : 1e-7)
    expect(claim({ name: 'adam' }).optimizer?.schedule).toBeNull()
  })

  it.each([
    ['step', { name: 'step', stepSize: 2, gamma: 0.5 }],
    ['exponential', { name: 'exponential', gamma: 0.8 }],
    ['cosine, past tMax', { name: 'cosine', tMax: 4, minLr: 0.01 }],
    ['plateau', { name: 'plateau', factor: 0.5, patience: 1, threshold: 0.9, cooldown: 1, minLr: 0.004 }],
  ] as [string, ScheduleSpec][])(
    'reports the lr of each epoch as scheduledLr has it, both semantics: %s',
    async (_, s) => {
      const runs: Record<string, number[]> = {}
      for (const init of ['torch', 'keras', 'framework'] as const) {
        const j = job({ name: 'sgd', lr: 0.08, momentum: 0.5 }, init, { scheduleSpec: s, epochs: 12 })
        const r = record()
        await backend.train(j, r.hooks)
        const semantics = j.schedule?.semantics ?? 'torch'
        expect(backend.settings(j).optimizer?.schedule).toEqual({ name: s.name, semantics })
        const lrs = r.logs.map((l) => l.lr as number)
        const want = scheduledLr(
          0.08,
          s,
          semantics,
          r.logs.map((l) => l.loss),
        )
        expect(lrs).toHaveLength(12)
        lrs.forEach((lr, e) => {
          expect(Math.abs(lr - (want[e] as number)) / (want[e] as number)).toBeLessThan(1e-12)
        })
        runs[init] = lrs
      }
      // Not vacuous: the lr moves, and the semantics differ where they should.
      expect(new Set(runs.torch).size).toBeGreaterThan(1)
      expect(new Set(runs.keras).size).toBeGreaterThan(1)
      if (s.name === 'cosine') expect(runs.keras?.slice(4)).toEqual(Array(8).fill(0.01))
      if (s.name === 'cosine') expect(runs.torch?.[8]).toBeCloseTo(0.08, 12)
      expect(runs.framework).toEqual(runs.torch)
    },
  )

  it('adds each layer’s l2 to the loss it reports (training and validation) and differentiates', async () => {
    const layers: LayerSpec[] = [
      { units: 3, activation: 'tanh', l2: 0.05 },
      { units: 1, activation: 'linear', l2: 0.2 },
    ]
    const validation = data(5)
    const j = job({ name: 'sgd', lr: 0.1 }, 'torch', { model: { inputs: 2, layers }, validation, epochs: 2 })
    const r = record()
    const result = await backend.train(j, r.hooks)
    const ref = claimedRun(j, backend.settings(j))
    expect(
      relativeError(
        r.logs.map((l) => l.loss),
        ref.losses,
      ),
    ).toBeLessThan(1e-5)
    expect(worst(result.weights, ref.weights)).toBeLessThan(1e-5)
    // Without l2 the run is another one: the penalty is really in the gradient.
    const plain = await backend.train(job({ name: 'sgd', lr: 0.1 }, 'torch', { epochs: 2 }), record().hooks)
    expect(worst(plain.weights, ref.weights)).toBeGreaterThan(1e-3)
    // Keras reports val_loss with the penalty too (keras/src/trainers/trainer.py, compute_loss adds self.losses).
    const model = { inputs: 2, layers, weights: ref.weights }
    const mse = referenceLoss(j.loss, referenceForward(model, validation.x), validation.y)
    const valLoss = r.logs[1]?.valLoss as number
    expect(Math.abs(valLoss - (mse + penalty(layers, ref.weights))) / valLoss).toBeLessThan(1e-5)
    expect(penalty(layers, ref.weights)).toBeGreaterThan(0.01)
  })
})
