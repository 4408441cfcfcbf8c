/**
 * 1. One full-batch step from fixed weights: gradients, loss reduction and optimizer formula at once.
 * 2. Small batches in a shuffled order: each step depends on the ones before it, so order shows.
 * 3. The same for each classification loss: a few steps of SGD and of Adam, losses and weights.
 */
import { type Backend, cloneWeights, type LayerSpec, type LayerWeights, type TrainJob } from '@dualfit/core'
import {
  describeMismatch,
  diagnoseStep,
  errorOf,
  fail,
  firstBitDifference,
  pair,
  scalarError,
  sci,
  worst,
} from '../assertions.js'
import {
  ADAM,
  CLASSIFICATION_CASES,
  DATA,
  HUBER,
  IN_ORDER,
  LINEAR_NET,
  MAE,
  MSE,
  makeJob,
  type Recorder,
  recorder,
  SGD,
  SGD_MOMENTUM,
  SHUFFLED,
  TANH_NET,
  VALIDATION,
} from '../fixtures.js'
import { referenceForward, referenceLoss, referenceTrain, TORCH_FORMULA } from '../reference.js'
import { type Check, DEFAULT_TOLERANCE, expectEpochs, expectSteps, settingsOf, train } from './check.js'

interface StepCase {
  label: string
  layers: LayerSpec[]
  loss: TrainJob['loss']
}

const ADAM_CASES: StepCase[] = [
  { label: '2-16-1 tanh, mse', layers: TANH_NET, loss: MSE },
  { label: '2-1 linear, huber delta 0.5', layers: LINEAR_NET, loss: HUBER },
]
const SGD_CASES: StepCase[] = [
  { label: '2-16-1 tanh, mae', layers: TANH_NET, loss: MAE },
  { label: '2-1 linear, mse', layers: LINEAR_NET, loss: MSE },
]

async function firstStep(
  backend: Backend,
  engine: string,
  name: string,
  optimizer: TrainJob['optimizer'],
  cases: StepCase[],
  tolerance: number,
): Promise<void> {
  for (const c of cases) {
    const what = `first ${name} step (${c.label})`
    const job = makeJob(engine, { model: { inputs: DATA.inputs, layers: c.layers }, loss: c.loss, optimizer })
    const start = cloneWeights(job.initialWeights as LayerWeights[])
    const rec = recorder()
    const result = await train(backend, what, job, rec)
    expectEpochs(what, rec, 1, 'the job has 1 epoch')
    if (firstBitDifference(start, job.initialWeights as LayerWeights[]))
      fail(
        `${what}: train() changed job.initialWeights in place; the harness reuses them, so copy them first`,
      )
    const ref = referenceTrain({ ...job, initialWeights: start, order: IN_ORDER })

    const loss = (rec.calls[0] as Recorder['calls'][number]).logs.loss
    const want = ref.losses[0] as number
    if (scalarError(loss, want) > tolerance) {
      const after = referenceLoss(
        c.loss,
        referenceForward({ ...job.model, weights: ref.weights }, DATA.x),
        DATA.y,
      )
      const hint =
        scalarError(loss, after) <= tolerance
          ? '; that is the loss after the update, report the loss before it'
          : scalarError(loss, want * DATA.n) <= tolerance
            ? '; that is the sum over rows, not the mean'
            : ''
      const [g, w] = pair(loss, want)
      fail(
        `${what}: the loss passed to onEpochEnd is ${g}, the reference loss before the update is ${w} (relative error ${sci(scalarError(loss, want))})${hint}`,
      )
    }
    expectSteps(what, result, 1, 'one epoch of one full batch is 1 step')
    const m = worst(result.weights, ref.weights)
    if (m.error > tolerance)
      fail(`${what}: ${describeMismatch(m)}; ${diagnoseStep(start, result.weights, ref.weights, tolerance)}`)
  }
}

export const firstAdamStep: Check = (backend, engine, o = {}) =>
  firstStep(backend, engine, 'Adam', ADAM, ADAM_CASES, o.tolerance ?? DEFAULT_TOLERANCE)

/** With momentum 0.9: PyTorch starts the buffer at g, so the first step is lr * g all the same. */
export const firstSgdStep: Check = (backend, engine, o = {}) =>
  firstStep(backend, engine, 'SGD', SGD_MOMENTUM, SGD_CASES, o.tolerance ?? DEFAULT_TOLERANCE)

const rows = (order: Uint32Array) => `[${Array.from(order).join(', ')}]`

export const batchOrder: Check = async (backend, engine, o = {}) => {
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE
  const what = 'batch order'
  const asked: number[] = []
  const job = makeJob(engine, {
    optimizer: SGD,
    batchSize: 2,
    epochs: 2,
    order: (epoch) => {
      asked.push(epoch)
      return SHUFFLED(epoch)
    },
  })
  const start = cloneWeights(job.initialWeights as LayerWeights[])
  const rec = recorder()
  const result = await train(backend, what, job, rec)
  expectEpochs(what, rec, 2, 'the job has 2 epochs')
  expectSteps(
    what,
    result,
    6,
    '5 rows in batches of 2 are 3 steps an epoch (the last batch holds 1 row), 6 in 2 epochs',
  )
  const refOf = (order: (epoch: number) => Uint32Array) =>
    referenceTrain({ ...job, initialWeights: start, order })
  const ref = refOf(SHUFFLED)
  const m = worst(result.weights, ref.weights)
  if (m.error > tolerance) {
    const orders = `order(0) = ${rows(SHUFFLED(0))}, then order(1) = ${rows(SHUFFLED(1))}`
    const calls =
      asked.length === 0
        ? 'job.order was never called'
        : `job.order was called for epoch(s) ${asked.join(', ')}`
    if (errorOf(result.weights, refOf(IN_ORDER).weights) <= tolerance)
      fail(
        `${what}: the weights match visiting rows in index order ${rows(IN_ORDER(0))}: the order was not followed (${calls}); the reference visits ${orders}`,
      )
    if (errorOf(result.weights, refOf(() => SHUFFLED(0)).weights) <= tolerance)
      fail(
        `${what}: the weights match visiting order(0) in every epoch; call job.order(epoch) for each epoch`,
      )
    if (asked.length === 0)
      fail(`${what}: job.order was never called, so the order was not followed (${describeMismatch(m)})`)
    fail(
      `${what}: after 2 epochs of SGD in batches of 2, ${describeMismatch(m)}; the reference visits ${orders}, cut into consecutive batches. Was the order followed? (${calls})`,
    )
  }
  rec.calls.forEach(({ epoch, logs }) => {
    const want = ref.losses[epoch] as number
    if (scalarError(logs.loss, want) > tolerance) {
      const [g, w] = pair(logs.loss, want)
      fail(
        `${what}: epoch ${epoch} loss is ${g}, the reference is ${w} (relative error ${sci(scalarError(logs.loss, want))}): each batch's loss before its own update, averaged over the epoch weighted by batch size`,
      )
    }
  })
}

// Early stopping on val_loss trusts these numbers.
export const validationLoss: Check = async (backend, engine, o = {}) => {
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE
  const what = 'valLoss'
  const job = makeJob(engine, { epochs: 2, validation: VALIDATION })
  const start = cloneWeights(job.initialWeights as LayerWeights[])
  const rec = recorder()
  await train(backend, what, job, rec)
  expectEpochs(what, rec, 2, 'the job has 2 epochs')
  const ref = referenceTrain({ ...job, initialWeights: start, order: IN_ORDER })
  rec.calls.forEach(({ epoch, logs }) => {
    if (logs.valLoss === undefined)
      fail(`${what}: onEpochEnd(${epoch}) got no valLoss although job.validation was given`)
    const want = ref.valLosses[epoch] as number
    if (scalarError(logs.valLoss, want) > tolerance) {
      const before =
        epoch === 0
          ? start
          : referenceTrain({ ...job, epochs: epoch, initialWeights: start, order: IN_ORDER }).weights
      const early = referenceLoss(
        job.loss,
        referenceForward({ ...job.model, weights: before }, VALIDATION.x),
        VALIDATION.y,
      )
      const hint =
        scalarError(logs.valLoss, early) <= tolerance
          ? "; that is the loss with the epoch's starting weights"
          : ''
      const [g, w] = pair(logs.valLoss, want)
      fail(
        `${what}: epoch ${epoch} valLoss is ${g}, the reference is ${w} (relative error ${sci(scalarError(logs.valLoss, want))}): the job's loss on job.validation with the weights at the end of the epoch${hint}`,
      )
    }
  })
}

/**
 * Each classification loss (cross_entropy and binary_cross_entropy, from logits or from the model's
 * softmax/sigmoid) for 2 epochs in batches of 2 in a shuffled order, with SGD and with Adam: 6 steps
 * each, so a wrong gradient, reduction or clip compounds. Adam's eps placement is the declared one
 * (declaresSettings checks it).
 */
export const classificationSteps: Check = async (backend, engine, o = {}) => {
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE
  for (const c of CLASSIFICATION_CASES)
    for (const [name, optimizer] of [
      ['SGD', SGD_MOMENTUM],
      ['Adam', ADAM],
    ] as const) {
      const what = `${name} steps (${c.label})`
      const job = makeJob(engine, {
        model: { inputs: DATA.inputs, layers: c.layers },
        loss: c.loss,
        optimizer,
        data: c.data,
        epochs: 2,
        batchSize: 2,
        order: SHUFFLED,
      })
      const placement = settingsOf(backend, what, job).epsilon?.placement
      const start = cloneWeights(job.initialWeights as LayerWeights[])
      const rec = recorder()
      const result = await train(backend, what, job, rec)
      expectEpochs(what, rec, 2, 'the job has 2 epochs')
      expectSteps(what, result, 6, '5 rows in batches of 2 are 3 steps an epoch, 6 in 2 epochs')
      const ref = referenceTrain({
        ...job,
        initialWeights: start,
        order: SHUFFLED,
        ...(placement ? { formula: { ...TORCH_FORMULA, adamEpsilon: placement } } : {}),
      })
      rec.calls.forEach(({ epoch, logs }) => {
        const want = ref.losses[epoch] as number
        if (scalarError(logs.loss, want) > tolerance) {
          const [g, w] = pair(logs.loss, want)
          fail(
            `${what}: epoch ${epoch} loss is ${g}, the reference is ${w} (relative error ${sci(scalarError(logs.loss, want))}): the mean over a batch's rows of -log p(label), averaged over the epoch weighted by batch size`,
          )
        }
      })
      const m = worst(result.weights, ref.weights)
      if (m.error > tolerance)
        fail(
          `${what}: ${describeMismatch(m)}; ${diagnoseStep(start, result.weights, ref.weights, tolerance)}`,
        )
    }
}
