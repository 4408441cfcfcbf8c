import {
  type Backend,
  batches,
  batchOrder,
  builtinDataset,
  type DataSplit,
  defaultEps,
  initialWeights,
  type LayerSpec,
  type OptimizerSpec,
  resolveOptimizer,
  resolveSchedule,
  type ScheduleSpec,
  scheduledLr,
  type TrainJob,
} from '@dualfit/core'
import { afterAll, describe, expect, it } from 'vitest'
import { createBackend } from '../src/index.js'
import { pythonTorch, torchReference } from './torch-reference.js'

const backend: Backend = createBackend()
afterAll(() => backend.dispose())

const EPOCHS = 100
const PROBLEMS = {
  /** The seed data on Dense(1), batches of 4 (two steps an epoch). */
  seed: { data: builtinDataset('meters-feet'), layers: [{ units: 1, activation: 'linear' }], batchSize: 4 },
  /** A 1-8-8-1 tanh MLP on 32 sin rows, batches of 8. */
  mlp: {
    data: builtinDataset('sin', 32),
    layers: [
      { units: 8, activation: 'tanh' },
      { units: 8, activation: 'tanh' },
      { units: 1, activation: 'linear' },
    ],
    batchSize: 8,
  },
} satisfies Record<string, { data: DataSplit; layers: LayerSpec[]; batchSize: number }>
type Problem = keyof typeof PROBLEMS

interface Case {
  optimizer: Partial<OptimizerSpec>
  /** The lr per problem: the seed data is not standardized, so plain SGD needs a small one there. */
  lr: Record<Problem, number>
  schedule?: ScheduleSpec
  l2?: number
  /** A tighter bound than 1e-4 where a formula detail once cost more than rounding. */
  within?: number
}
const ADAM = { optimizer: { name: 'adam' }, lr: { seed: 0.1, mlp: 0.01 } } as const
const CASES: Record<string, Case> = {
  sgd: { optimizer: { name: 'sgd' }, lr: { seed: 0.002, mlp: 0.05 } },
  'sgd nesterov, weight decay': {
    optimizer: { name: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.01 },
    lr: { seed: 0.001, mlp: 0.02 },
  },
  'adam, weight decay': { ...ADAM, optimizer: { name: 'adam', weightDecay: 0.01 } },
  // PyTorch multiplies by 1 - lr wd in float32 before the step: done in float64 with the step, the
  // losses on mlp parted 3.6e-5 (3.9e-6 now).
  adamw: { ...ADAM, optimizer: { name: 'adamw', weightDecay: 0.05 }, within: 1e-5 },
  'adamw, CosineAnnealingLR': {
    optimizer: { name: 'adamw', weightDecay: 0.2 },
    lr: { seed: 0.1, mlp: 0.03 },
    schedule: { name: 'cosine', tMax: 60, minLr: 0.001 },
  },
  rmsprop: { optimizer: { name: 'rmsprop' }, lr: { seed: 0.01, mlp: 0.002 } },
  'rmsprop centered, momentum, weight decay': {
    optimizer: { name: 'rmsprop', centered: true, momentum: 0.5, weightDecay: 0.01 },
    lr: { seed: 0.01, mlp: 0.002 },
  },
  'adagrad, initial accumulator, weight decay': {
    optimizer: { name: 'adagrad', initialAccumulator: 0.1, weightDecay: 0.01 },
    lr: { seed: 0.5, mlp: 0.05 },
  },
  'adam, StepLR': { ...ADAM, schedule: { name: 'step', stepSize: 20, gamma: 0.5 } },
  'adam, ExponentialLR': { ...ADAM, schedule: { name: 'exponential', gamma: 0.97 } },
  // tMax 30 of 100 epochs: PyTorch's cosine goes back up after tMax.
  'sgd momentum, CosineAnnealingLR': {
    optimizer: { name: 'sgd', momentum: 0.9 },
    lr: { seed: 0.001, mlp: 0.02 },
    schedule: { name: 'cosine', tMax: 30, minLr: 0.0001 },
  },
  'adam, ReduceLROnPlateau': {
    ...ADAM,
    schedule: { name: 'plateau', factor: 0.5, patience: 3, threshold: 0.03, cooldown: 2, minLr: 0.001 },
  },
  'adam, l2': { ...ADAM, l2: 0.01 },
}

function jobOf(problem: Problem, c: Case): TrainJob {
  const { data, batchSize } = PROBLEMS[problem]
  const layers: LayerSpec[] = PROBLEMS[problem].layers.map((l) => (c.l2 ? { ...l, l2: c.l2 } : l))
  const name = c.optimizer.name ?? 'adam'
  const spec = { beta1: 0.9, beta2: 0.999, momentum: 0, ...c.optimizer, name, lr: c.lr[problem] }
  return {
    engine: 'cpu',
    model: { inputs: 1, layers },
    loss: { name: 'mse', delta: 1 },
    optimizer: resolveOptimizer({ ...spec, eps: defaultEps('torch', name) }, 'torch'),
    schedule: resolveSchedule(c.schedule, 'torch'),
    epochs: EPOCHS,
    batchSize,
    data,
    initialWeights: initialWeights('torch', 1, layers, 11),
    order: batchOrder(data.n, true, 5),
    seed: 0,
  }
}

/** What torch_reference.py needs to run the same job with torch.optim. */
const pythonJob = (j: TrainJob) => ({
  inputs: 1,
  layers: j.model.layers,
  weights: j.initialWeights?.map((w) => ({ kernel: Array.from(w.kernel), bias: Array.from(w.bias) })),
  loss: 'mse',
  x: Array.from(j.data.x),
  y: Array.from(j.data.y),
  optimizer: j.optimizer,
  schedule: j.schedule,
  batches: Array.from({ length: j.epochs }, (_, e) =>
    [...batches((j.order as (e: number) => Uint32Array)(e), j.batchSize)].map((b) => Array.from(b)),
  ),
})

const missing = pythonTorch()

describe.skipIf(missing !== null)(`against torch.optim${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const runs = Object.entries(CASES).flatMap(([name, c]) =>
    (['seed', 'mlp'] as const).map((problem) => ({
      name: `${name} on ${problem}`,
      job: jobOf(problem, c),
      within: c.within,
    })),
  )
  let torch: { losses: number[]; lrs: number[] }[] = []

  it('runs the same jobs in PyTorch 1.13', { timeout: 120_000 }, () => {
    torch = torchReference(runs.map((r) => pythonJob(r.job)))
    expect(torch).toHaveLength(runs.length)
  })

  it.each(runs.map((r, i) => [r.name, i] as const))(
    `%s: losses per epoch within 1e-4 relative over ${EPOCHS} epochs, lr per epoch as scheduledLr`,
    async (_name, i) => {
      const { job, within } = runs[i] as (typeof runs)[number]
      const want = torch[i] as { losses: number[]; lrs: number[] }
      const losses: number[] = []
      const lrs: (number | undefined)[] = []
      await backend.train(job, {
        onEpochEnd: async (_e, logs) => {
          losses.push(logs.loss)
          lrs.push(logs.lr)
          return 'continue'
        },
      })
      expect(losses).toHaveLength(EPOCHS)
      const worst = Math.max(
        ...losses.map((l, e) => Math.abs(l - (want.losses[e] as number)) / (want.losses[e] as number)),
      )
      expect(worst).toBeLessThanOrEqual(within ?? 1e-4)
      if (!job.schedule) return
      expect(lrs).toEqual(scheduledLr(job.optimizer.lr, job.schedule, 'torch', losses))
      lrs.forEach((lr, e) => {
        expect(
          Math.abs((lr as number) - (want.lrs[e] as number)) / (want.lrs[e] as number),
        ).toBeLessThanOrEqual(1e-12)
      })
    },
  )
})
