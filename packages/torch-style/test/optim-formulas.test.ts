import { referenceTrain, relativeError } from '@dualfit/backend-testkit/reference'
import {
  type Backend,
  batchOrder,
  builtinDataset,
  defaultEps,
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
import { createBackend, lrScheduler, nn, optim } from '../src/index.js'

const backend: Backend = createBackend()
afterAll(() => backend.dispose())

const SIN = builtinDataset('sin', 16)
const MLP: LayerSpec[] = [
  { units: 4, activation: 'tanh' },
  { units: 1, activation: 'linear' },
]
const BASE: OptimizerSpec = { name: 'adam', lr: 0.05, beta1: 0.9, beta2: 0.999, eps: null, momentum: 0 }

/** A job on 16 sin rows, batches of 5 in a fresh order per epoch, from fixed weights. */
function job(
  spec: Partial<OptimizerSpec>,
  init: Exclude<InitConvention, 'framework'>,
  over: Partial<Omit<TrainJob, 'initialWeights' | 'order'>> = {},
) {
  const layers = over.model?.layers ?? MLP
  return {
    engine: 'cpu',
    model: { inputs: 1, layers },
    loss: { name: 'mse', delta: 1 },
    // parseSpec resolves eps per convention before resolveOptimizer.
    optimizer: resolveOptimizer(
      { ...BASE, ...spec, eps: spec.eps ?? defaultEps(init, spec.name ?? 'adam') },
      init,
    ),
    epochs: 4,
    batchSize: 5,
    data: SIN,
    initialWeights: initialWeights('torch', 1, layers, 7),
    order: batchOrder(SIN.n, true, 3),
    seed: 0,
    ...over,
  } satisfies TrainJob
}

/** Trains and records each epoch's loss and lr. */
async function train(j: TrainJob) {
  const losses: number[] = []
  const lrs: (number | undefined)[] = []
  const r = await backend.train(j, {
    onEpochEnd: async (_e, logs) => {
      losses.push(logs.loss)
      lrs.push(logs.lr)
      return 'continue'
    },
  })
  return { ...r, losses, lrs }
}

const flat = (ws: { kernel: ArrayLike<number>; bias: ArrayLike<number> }[]) =>
  ws.flatMap((w) => [...Array.from(w.kernel), ...Array.from(w.bias)])

const OPTIMIZERS: [string, Partial<OptimizerSpec>][] = [
  ['sgd', { name: 'sgd', lr: 0.1 }],
  ['sgd momentum, weight decay', { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0.05 }],
  ['sgd nesterov', { name: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true }],
  ['adam, weight decay', { name: 'adam', weightDecay: 0.05 }],
  ['adamw', { name: 'adamw', weightDecay: 0.1 }],
  ['rmsprop', { name: 'rmsprop', lr: 0.01 }],
  [
    'rmsprop centered, momentum, weight decay',
    { name: 'rmsprop', lr: 0.01, momentum: 0.5, centered: true, weightDecay: 0.05 },
  ],
  // eps 1e-3: where it sits then shows at float32 precision.
  ['adagrad, eps 1e-3, weight decay', { name: 'adagrad', lr: 0.1, eps: 1e-3, weightDecay: 0.05 }],
]

describe('each optimizer in each convention matches the float64 reference (testkit referenceTrain)', () => {
  for (const init of ['torch', 'keras', 'tfjs'] as const)
    it.each(OPTIMIZERS)(`%s under ${init}`, async (_name, spec) => {
      const j = job(spec, init)
      const got = await train(j)
      const want = referenceTrain(j)
      expect(relativeError(got.losses, want.losses)).toBeLessThanOrEqual(1e-5)
      expect(relativeError(flat(got.weights), flat(want.weights))).toBeLessThanOrEqual(1e-5)
    })

  it('the conventions really differ where their formulas do (a wrong form would not pass above)', async () => {
    const last = async (spec: Partial<OptimizerSpec>, init: 'torch' | 'keras') =>
      flat((await train(job({ ...spec, eps: 1e-3, rho: 0.9, initialAccumulator: 0.1 }, init))).weights)
    for (const spec of OPTIMIZERS.map(([, s]) => s).filter((s) => s.name !== 'sgd' || s.weightDecay))
      expect(relativeError(await last(spec, 'torch'), await last(spec, 'keras'))).toBeGreaterThan(1e-5)
  })

  it('l2 adds λ Σ kernel² to the reported loss and 2λ kernel to the gradient', async () => {
    const layers: LayerSpec[] = [
      { ...(MLP[0] as LayerSpec), l2: 0.01 },
      { ...(MLP[1] as LayerSpec), l2: 0.02 },
    ]
    const l2 = (over: Partial<Omit<TrainJob, 'initialWeights' | 'order'>>) =>
      job({ name: 'sgd', lr: 0.1 }, 'torch', { epochs: 1, batchSize: 16, ...over })
    const plain = await train(l2({}))
    const penalized = await train(l2({ model: { inputs: 1, layers } }))
    const w0 = initialWeights('torch', 1, MLP, 7)
    const penalty = w0.reduce(
      (s, w, k) => s + (layers[k]?.l2 ?? 0) * w.kernel.reduce((a, v) => a + v * v, 0),
      0,
    )
    expect((penalized.losses[0] as number) - (plain.losses[0] as number)).toBeCloseTo(penalty, 6)
    const j = l2({ model: { inputs: 1, layers }, epochs: 4, batchSize: 5 })
    const want = referenceTrain(j)
    const got = await train(j)
    expect(relativeError(got.losses, want.losses)).toBeLessThanOrEqual(1e-5)
    expect(relativeError(flat(got.weights), flat(want.weights))).toBeLessThanOrEqual(1e-5)
  })
})

const SCHEDULES: ScheduleSpec[] = [
  { name: 'step', stepSize: 3, gamma: 0.5 },
  { name: 'exponential', gamma: 0.9 },
  { name: 'cosine', tMax: 5, minLr: 0.001 },
  { name: 'plateau', factor: 0.5, patience: 1, threshold: 0.05, cooldown: 1, minLr: 0.002 },
]

describe('schedules: the lr of each epoch is core scheduledLr', () => {
  for (const semantics of ['torch', 'keras'] as const)
    it.each(SCHEDULES.map((s) => [s.name, s] as const))(`%s, ${semantics} semantics`, async (_name, s) => {
      const j = job({ name: 'adam', lr: 0.05 }, semantics, {
        epochs: 14,
        schedule: resolveSchedule(s, semantics),
      })
      const got = await train(j)
      expect(got.lrs).toEqual(scheduledLr(0.05, s, semantics, got.losses))
      const want = referenceTrain(j)
      expect(relativeError(got.losses, want.losses)).toBeLessThanOrEqual(1e-5)
    })

  it('SGD momentum forms part once the lr changes: each matches its reference', async () => {
    const schedule = resolveSchedule({ name: 'step', stepSize: 2, gamma: 0.2 }, 'torch')
    const spec = { name: 'sgd', lr: 0.05, momentum: 0.9 } as const
    const weights = []
    for (const init of ['torch', 'keras'] as const) {
      const j = job(spec, init, { schedule, epochs: 6 })
      const got = await train(j)
      expect(relativeError(flat(got.weights), flat(referenceTrain(j).weights))).toBeLessThanOrEqual(1e-5)
      weights.push(flat(got.weights))
    }
    expect(relativeError(weights[0] as number[], weights[1] as number[])).toBeGreaterThan(1e-3)
  })

  it('the schedulers alone follow scheduledLr on a loss curve with plateaus, both semantics', () => {
    const losses = [5, 4, 4, 4, 3.9999, 4, 2, 2, 2, 2, 2, 1.9, 1.9, 1.9, 1.9, 1.9, 1.9, 1, 1, 1]
    const spec: ScheduleSpec = {
      name: 'plateau',
      factor: 0.5,
      patience: 2,
      threshold: 1e-3,
      cooldown: 1,
      minLr: 0.01,
    }
    for (const semantics of ['torch', 'keras'] as const) {
      const opt = new optim.SGD([], { lr: 0.1 })
      const p = new lrScheduler.ReduceLROnPlateau(opt, { ...spec, semantics })
      const lrs = losses.map((l) => {
        const lr = opt.lr
        p.step(l)
        return lr
      })
      expect(lrs).toEqual(scheduledLr(0.1, spec, semantics, losses))
    }
    const opt = new optim.SGD([], { lr: 0.1 })
    const cosine = new lrScheduler.CosineAnnealingLR(opt, { tMax: 4, etaMin: 0.01, semantics: 'keras' })
    const lrs = losses.map(() => {
      const lr = opt.lr
      cosine.step()
      return lr
    })
    expect(lrs).toEqual(scheduledLr(0.1, { name: 'cosine', tMax: 4, minLr: 0.01 }, 'keras', losses))
    expect(lrs.slice(4).every((lr) => lr === 0.01)).toBe(true)
  })
})

describe('settings(job) states what train(job) applies', () => {
  const settings = (spec: Partial<OptimizerSpec>, init: InitConvention, schedule?: ScheduleSpec) =>
    backend.settings({
      ...job(spec, 'torch'),
      optimizer: resolveOptimizer({ ...BASE, ...spec, eps: spec.eps ?? null }, init),
      schedule: resolveSchedule(schedule, init),
    }) as Required<TrainSettings>

  it('PyTorch defaults and forms under framework', () => {
    const rms = settings({ name: 'rmsprop', momentum: 0.9 }, 'framework', { name: 'exponential', gamma: 0.9 })
    expect(rms.epsilon).toBeNull()
    expect(rms.optimizer).toEqual({
      name: 'rmsprop',
      rootEpsilon: { value: 1e-8, placement: 'sqrt(v) + eps' },
      momentum: { value: 0.9, form: 'v = m v + g; w -= lr v', nesterov: false },
      rho: 0.99,
      centered: false,
      initialAccumulator: null,
      weightDecay: null,
      schedule: { name: 'exponential', semantics: 'torch' },
    })
    expect(settings({ name: 'adagrad' }, 'framework').optimizer).toMatchObject({
      rootEpsilon: { value: 1e-10, placement: 'sqrt(v) + eps' },
      initialAccumulator: 0,
      rho: null,
      momentum: null,
    })
    const adamw = settings({ name: 'adamw' }, 'framework')
    expect(adamw.epsilon).toEqual({ value: 1e-8, placement: 'sqrt(v_hat) + eps' })
    expect(adamw.optimizer.weightDecay).toEqual({ value: 0.01, form: 'decoupled' })
    expect(settings({ name: 'adam', weightDecay: 0.1 }, 'framework').optimizer.weightDecay).toEqual({
      value: 0.1,
      form: 'gradient',
    })
  })

  it("the convention's formulas under keras and tfjs", () => {
    expect(settings({ name: 'adam', eps: 1e-7 }, 'keras').epsilon).toEqual({
      value: 1e-7,
      placement: 'sqrt(v) + eps_hat',
    })
    expect(settings({ name: 'adam', eps: 1e-7 }, 'tfjs').epsilon?.placement).toBe('sqrt(v_hat) + eps')
    const rms = settings({ name: 'rmsprop', eps: 1e-7, momentum: 0.5, weightDecay: 0.01 }, 'tfjs', {
      name: 'cosine',
      tMax: 5,
      minLr: 0,
    })
    expect(rms.optimizer).toMatchObject({
      rootEpsilon: { value: 1e-7, placement: 'sqrt(v + eps)' },
      // TF.js' RMSprop keeps lr inside its moment, as Keras' does.
      momentum: { value: 0.5, form: 'v = m v - lr g; w += v', nesterov: false },
      rho: 0.9,
      weightDecay: { value: 0.01, form: 'decoupled' },
      schedule: { name: 'cosine', semantics: 'keras' },
    })
    expect(settings({ name: 'sgd', momentum: 0.9, nesterov: true }, 'tfjs').optimizer.momentum).toEqual({
      value: 0.9,
      form: 'v = m v + g; w -= lr v',
      nesterov: true,
    })
    expect(settings({ name: 'sgd', momentum: 0.9 }, 'keras').optimizer.momentum?.form).toBe(
      'v = m v - lr g; w += v',
    )
    expect(settings({ name: 'adagrad', eps: 1e-7 }, 'keras').optimizer.initialAccumulator).toBe(0.1)
  })

  it('refuses nesterov without momentum, as torch.optim.SGD does', () => {
    const p = new nn.Linear(1, 1).parameters()
    expect(() => new optim.SGD(p, { lr: 0.1, nesterov: true })).toThrow(/nesterov needs a momentum > 0/)
  })
})
