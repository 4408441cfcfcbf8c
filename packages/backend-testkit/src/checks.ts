/**
 * The conformance checks, each an async function that throws a ConformanceError naming what the
 * backend did wrong. describeBackend wraps each in a test; call them directly to test a checker.
 */
import {
  type Backend,
  cloneWeights,
  type EpsilonPlacement,
  type LayerSpec,
  type LayerWeights,
  type TrainedModel,
  type TrainJob,
  type TrainResult,
  type TrainSettings,
} from '@dualfit/core'
import { predictOnnx } from '@dualfit/onnx'
import {
  describeMismatch,
  diagnoseForward,
  diagnoseStep,
  errorOf,
  fail,
  firstBitDifference,
  messageOf,
  pair,
  scalarError,
  sci,
  shapeProblem,
  worst,
  worstCell,
} from './compare.js'
import {
  ADAM,
  DATA,
  DEEP_NET,
  HUBER,
  IN_ORDER,
  LINEAR_NET,
  MAE,
  MSE,
  makeJob,
  PREDICT_X,
  type Recorder,
  recorder,
  SGD,
  SGD_MOMENTUM,
  SHUFFLED,
  TANH_NET,
  TINY,
  VALIDATION,
  weightsFor,
} from './fixtures.js'
import {
  type ReferenceJob,
  referenceForward,
  referenceLoss,
  referenceTrain,
  relativeError,
} from './reference.js'

export interface CheckOptions {
  /** Relative tolerance against the float64 reference (max |a - b| / max |b|, floored at 1e-3). */
  tolerance?: number
  /** A backend-specific count of live handles (e.g. tf.memory().numTensors); must stay flat. */
  liveResources?: () => number | Promise<number>
  /** Train+predict jobs in the leak check. */
  trials?: number
}

export type Check = (backend: Backend, engine: string, options?: CheckOptions) => Promise<void>

const DEFAULT_TOLERANCE = 1e-5
const ACTIVATIONS: readonly LayerSpec['activation'][] = ['linear', 'relu', 'tanh', 'sigmoid']
const NO_SUCH_ENGINE = 'testkit-no-such-engine'

/** train(), with its rejection and a malformed result turned into a failure that says so. */
async function train(backend: Backend, what: string, job: TrainJob, rec: Recorder): Promise<TrainResult> {
  let result: TrainResult
  try {
    result = await backend.train(job, rec.hooks)
  } catch (e) {
    fail(`${what}: train() rejected: ${messageOf(e)}`, e)
  }
  const shape = shapeProblem(result?.weights, job.model.inputs, job.model.layers)
  if (shape) fail(`${what}: train() returned malformed weights: ${shape}`)
  if (!Number.isInteger(result.steps)) fail(`${what}: train() returned steps ${result.steps}, not an integer`)
  const epochs = rec.calls.map((c) => c.epoch)
  epochs.forEach((e, i) => {
    if (e !== i)
      fail(
        `${what}: onEpochEnd was called for epochs ${epochs.join(', ')}; epochs count from 0, one call each`,
      )
  })
  for (const { epoch, logs } of rec.calls)
    if (typeof logs.loss !== 'number' || !Number.isFinite(logs.loss))
      fail(`${what}: onEpochEnd(${epoch}) got loss ${logs.loss}, not a finite number`)
  return result
}

function expectEpochs(what: string, rec: Recorder, epochs: number, why: string): void {
  if (rec.calls.length !== epochs) fail(`${what}: onEpochEnd was called ${rec.calls.length} time(s); ${why}`)
}

function expectSteps(what: string, result: TrainResult, steps: number, why: string): void {
  if (result.steps !== steps) fail(`${what}: steps is ${result.steps}; ${why}`)
}

// 1. One full-batch step from fixed weights: gradients, loss reduction and optimizer formula at once.

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

// 2. Small batches in a shuffled order: each step depends on the ones before it, so order shows.

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

// 3. Early stopping is the harness's decision; the backend only obeys it, at once.

export const stopsWhenTold: Check = async (backend, engine, o = {}) => {
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE
  const what = 'stop'
  const job = () => makeJob(engine, { epochs: 10, batchSize: 2, order: SHUFFLED, optimizer: SGD })
  const rec = recorder((epoch) => ({ stop: epoch === 2 }))
  const result = await train(backend, what, job(), rec)
  if (rec.calls.length > 3)
    fail(
      `${what}: kept training after stop at epoch 2: onEpochEnd was called for epochs ${rec.calls.map((c) => c.epoch).join(', ')}`,
    )
  expectEpochs(what, rec, 3, 'told to stop at epoch 2, epochs 0, 1 and 2 should report')
  if (result.steps > 9)
    fail(`${what}: kept training after stop at epoch 2: steps is ${result.steps}, 3 epochs are 9`)
  expectSteps(what, result, 9, '3 epochs of 3 batches are 9 steps')
  const three = await train(backend, what, { ...job(), epochs: 3 }, recorder())
  const m = worst(result.weights, three.weights)
  if (m.error > tolerance)
    fail(
      `${what}: after stop at epoch 2 the weights differ from a 3-epoch run's: ${describeMismatch(m, "the 3-epoch run's is")}; it kept training after stop at epoch 2, or returned other weights`,
    )
}

// Ctrl-C reaches a trial through hooks.signal: no further step, and the promise rejects with its reason.
export const abortsWhenAsked: Check = async (backend, engine) => {
  const what = 'abort'
  const ac = new AbortController()
  const reason = new Error('testkit: interrupted')
  const rec = recorder((epoch) => {
    if (epoch === 1) ac.abort(reason)
    return {}
  })
  const job = makeJob(engine, { epochs: 10, batchSize: 2, order: SHUFFLED, optimizer: SGD })
  const outcome = await backend.train(job, { ...rec.hooks, signal: ac.signal }).then(
    () => null,
    (e: unknown) => e,
  )
  if (outcome === null)
    fail(
      `${what}: train() resolved although hooks.signal was aborted at epoch 1; it must reject with signal.reason`,
    )
  if (outcome !== reason)
    fail(
      `${what}: train() rejected with "${messageOf(outcome)}", not with signal.reason ("${reason.message}")`,
    )
  if (rec.calls.length > 2)
    fail(
      `${what}: kept training after the abort at epoch 1: onEpochEnd was called for epochs ${rec.calls.map((c) => c.epoch).join(', ')}`,
    )
  // Still usable afterwards.
  await train(backend, what, makeJob(engine, { epochs: 1 }), recorder())
}

export const restoresSnapshot: Check = async (backend, engine, o = {}) => {
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE
  const what = 'restoreBestWeights'
  const job = (overrides: Partial<TrainJob>) =>
    makeJob(engine, { batchSize: 2, order: SHUFFLED, optimizer: SGD, ...overrides })
  const decide = (epoch: number) => ({ snapshot: epoch === 0, stop: epoch === 3 })
  const after = async (epochs: number) => (await train(backend, what, job({ epochs }), recorder())).weights
  const [one, four] = [await after(1), await after(4)]

  const rec = recorder(decide)
  const restored = await train(backend, what, job({ epochs: 10, restoreBestWeights: true }), rec)
  expectEpochs(what, rec, 4, 'told to stop at epoch 3, epochs 0 to 3 should report')
  const m = worst(restored.weights, one)
  if (m.error > tolerance) {
    const why =
      errorOf(restored.weights, four) <= tolerance
        ? "they are the last epoch's; restoreBestWeights asks for the weights of the last epoch whose decision said snapshot"
        : 'snapshot the weights when the decision says so, and return that copy'
    fail(
      `${what}: snapshot at epoch 0, stop at epoch 3: ${describeMismatch(m, 'after epoch 0 it was')}; ${why}`,
    )
  }
  const kept = await train(backend, what, job({ epochs: 10, restoreBestWeights: false }), recorder(decide))
  if (errorOf(kept.weights, four) > tolerance)
    fail(
      errorOf(kept.weights, one) <= tolerance
        ? `${what}: restored the epoch-0 snapshot although job.restoreBestWeights is false`
        : `${what}: with restoreBestWeights false, ${describeMismatch(worst(kept.weights, four), 'after epoch 3 it was')}`,
    )
}

// Core measures time to quality from each epoch's weights: they must be that epoch's, and stay so.
export const tracksWeights: Check = async (backend, engine, o = {}) => {
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE
  const what = 'trackWeights'
  const job = makeJob(engine, {
    epochs: 3,
    batchSize: 2,
    order: SHUFFLED,
    optimizer: SGD,
    trackWeights: true,
  })
  const start = cloneWeights(job.initialWeights as LayerWeights[])
  const rec = recorder()
  // What each call received, copied before training goes on.
  const atCall: (LayerWeights[] | undefined)[] = []
  const result = await train(backend, what, job, {
    calls: rec.calls,
    hooks: {
      onEpochEnd: (epoch, logs) => {
        atCall.push(
          shapeProblem(logs.weights, job.model.inputs, job.model.layers)
            ? undefined
            : cloneWeights(logs.weights as LayerWeights[]),
        )
        return rec.hooks.onEpochEnd(epoch, logs)
      },
    },
  })
  expectEpochs(what, rec, 3, 'the job has 3 epochs')
  for (const { epoch, logs } of rec.calls) {
    if (logs.weights === undefined)
      fail(`${what}: onEpochEnd(${epoch}) got no logs.weights although job.trackWeights is true`)
    const shape = shapeProblem(logs.weights, job.model.inputs, job.model.layers)
    if (shape) fail(`${what}: onEpochEnd(${epoch}) got malformed logs.weights: ${shape}`)
  }
  type Call = Recorder['calls'][number]
  const [first, last] = [rec.calls[0] as Call, rec.calls[2] as Call]
  const changed = firstBitDifference(atCall[0] as LayerWeights[], first.logs.weights as LayerWeights[])
  if (changed)
    fail(
      `${what}: the logs.weights passed at epoch 0 changed after onEpochEnd returned (${changed}); pass copies, not buffers that later steps update`,
    )
  const ref = referenceTrain({ ...job, epochs: 1, initialWeights: start, order: SHUFFLED })
  const m = worst(atCall[0] as LayerWeights[], ref.weights)
  if (m.error > tolerance)
    fail(
      `${what}: logs.weights at epoch 0 are not the weights after that epoch's last step: ${describeMismatch(m)}${errorOf(atCall[0] as LayerWeights[], start) <= tolerance ? "; they are the epoch's starting weights" : ''}`,
    )
  const differs = firstBitDifference(last.logs.weights as LayerWeights[], result.weights)
  if (differs)
    fail(
      `${what}: the last epoch's logs.weights and the weights train() returned differ (${differs}); with restoreBestWeights false they are the same`,
    )
  const plain = recorder()
  await train(backend, what, makeJob(engine), plain)
  if (plain.calls.some((c) => c.logs.weights !== undefined))
    fail(
      `${what}: onEpochEnd got logs.weights although job.trackWeights is not set; copying weights every epoch costs time the benchmarks measure`,
    )
}

// 4-5. Reproducibility: the harness compares backends and seeds, so the same job must repeat exactly.

async function twice(backend: Backend, what: string, job: () => TrainJob, advice: string): Promise<void> {
  const runs = []
  for (let i = 0; i < 2; i++) {
    const rec = recorder()
    const j = job()
    const result = await train(backend, what, j, rec)
    expectEpochs(what, rec, j.epochs, `the job has ${j.epochs} epochs`)
    if (result.weights.some((w) => !w.kernel.every(Number.isFinite) || !w.bias.every(Number.isFinite)))
      fail(`${what}: train() returned weights that are not finite`)
    runs.push({ result, logs: rec.calls.map((c) => c.logs) })
  }
  const [a, b] = runs as [(typeof runs)[0], (typeof runs)[0]]
  const diff = firstBitDifference(a.result.weights, b.result.weights)
  if (diff) fail(`${what}: the same job twice gave different weights: ${diff}${advice}`)
  a.logs.forEach((logs, e) => {
    for (const key of ['loss', 'valLoss'] as const)
      if (!Object.is(logs[key], b.logs[e]?.[key]))
        fail(
          `${what}: the same job twice gave different ${key}: epoch ${e} is ${logs[key]} then ${b.logs[e]?.[key]}${advice}`,
        )
  })
  if (a.result.steps !== b.result.steps)
    fail(`${what}: the same job twice took ${a.result.steps} then ${b.result.steps} steps`)
}

export const deterministic: Check = (backend, engine) =>
  twice(
    backend,
    'determinism',
    () => makeJob(engine, { epochs: 3, batchSize: 2, order: SHUFFLED, validation: VALIDATION }),
    '',
  )

export const frameworkConventions: Check = (backend, engine) =>
  twice(
    backend,
    "init 'framework' (initialWeights and order null)",
    () => makeJob(engine, { epochs: 3, batchSize: 2, initialWeights: null, order: null, seed: 11 }),
    "; seed the framework's initializers and shuffling from job.seed",
  )

// Settings: `dualfit parity` compares backends by what they declare, so each must be what train() does.

const PLACEMENTS: readonly EpsilonPlacement[] = ['sqrt(v_hat) + eps', 'sqrt(v) + eps_hat']
/** Large enough that the two placements take clearly different steps. */
const LARGE_EPS = 0.5

function settingsOf(backend: Backend, what: string, job: TrainJob): TrainSettings {
  try {
    return backend.settings(job)
  } catch (e) {
    fail(`${what}: settings() threw: ${messageOf(e)}`, e)
  }
}

interface Readings<T extends string> {
  /** What the steps are, e.g. '2 Adam steps with eps 0.5'. */
  steps: string
  setting: string
  declared: T
  /** How the reference job differs under each reading of the setting. */
  readings: Record<T, Partial<ReferenceJob>>
  /** Appended when the declared reading does not match. */
  hint?: (weights: LayerWeights[]) => string
}

/** Trains `job`; fails unless the reference under the declared reading matches, naming one that does. */
async function expectDeclared<T extends string>(
  backend: Backend,
  what: string,
  job: TrainJob,
  tolerance: number,
  r: Readings<T>,
): Promise<void> {
  const start = cloneWeights(job.initialWeights as LayerWeights[])
  const order = job.order as ReferenceJob['order']
  const { weights } = await train(backend, what, job, recorder())
  const refOf = (reading: T) =>
    referenceTrain({ ...job, initialWeights: start, order, ...r.readings[reading] }).weights
  const m = worst(weights, refOf(r.declared))
  if (m.error <= tolerance) return
  const mismatch = describeMismatch(m, `with '${r.declared}' the reference is`)
  const other = (Object.keys(r.readings) as T[]).find(
    (reading) => reading !== r.declared && errorOf(weights, refOf(reading)) <= tolerance,
  )
  if (other !== undefined)
    fail(
      `${what}: declares ${r.setting} '${r.declared}' but the steps follow '${other}' (${r.steps}: ${mismatch})`,
    )
  fail(
    `${what}: the declared ${r.setting} '${r.declared}' does not reproduce ${r.steps}: ${mismatch}${r.hint?.(weights) ?? ''}`,
  )
}

/** Each setting that says 'given' and the job field it is given by. */
const GIVEN = [
  ['initializer', 'initialWeights'],
  ['order', 'order'],
] as const

export const declaresSettings: Check = async (backend, engine, o = {}) => {
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE
  const what = 'settings'
  // Two steps, so that a bias correction that depends on the step count shows.
  const adam = makeJob(engine, { optimizer: { ...ADAM, eps: LARGE_EPS }, epochs: 2 })
  const given = settingsOf(backend, what, adam)
  for (const [key, field] of GIVEN)
    if (given[key] !== 'given')
      fail(
        `${what}: job.${field} is given, but settings().${key} is ${JSON.stringify(given[key])}, not 'given'`,
      )
  if (given.batchSize !== adam.batchSize)
    fail(`${what}: settings().batchSize is ${given.batchSize}, the job's batchSize is ${adam.batchSize}`)
  const own = settingsOf(backend, what, makeJob(engine, { initialWeights: null, order: null }))
  for (const [key, field] of GIVEN)
    if (typeof own[key] !== 'string' || own[key] === 'given' || own[key].trim() === '')
      fail(
        `${what}: with job.${field} null, settings().${key} is ${JSON.stringify(own[key])}; describe the framework's own ${key} as train() applies it`,
      )

  const eps = given.epsilon
  if (eps?.value !== LARGE_EPS)
    fail(
      `${what}: settings().epsilon is ${JSON.stringify(eps)} for Adam with eps ${LARGE_EPS}; its value must be job.optimizer.eps`,
    )
  if (!PLACEMENTS.includes(eps.placement))
    fail(
      `${what}: settings().epsilon.placement is ${JSON.stringify(eps.placement)}, not one of '${PLACEMENTS.join("', '")}'`,
    )
  await expectDeclared(backend, what, adam, tolerance, {
    steps: `2 Adam steps with eps ${LARGE_EPS}`,
    setting: 'epsilon placement',
    declared: eps.placement,
    readings: Object.fromEntries(PLACEMENTS.map((p) => [p, { placement: p }])) as Record<
      EpsilonPlacement,
      Partial<ReferenceJob>
    >,
  })

  // eps null: the framework's default, which a gradient as small as TINY's makes visible.
  const tiny = makeJob(engine, {
    model: { inputs: TINY.inputs, layers: LINEAR_NET },
    data: TINY,
    batchSize: TINY.n,
    initialWeights: [
      { inputs: TINY.inputs, units: 1, kernel: Float32Array.of(0.5, -0.25), bias: new Float32Array(1) },
    ],
    order: () => Uint32Array.of(0),
    optimizer: { ...ADAM, eps: null },
  })
  const fallback = settingsOf(backend, what, tiny).epsilon
  if (!(fallback && fallback.value > 0 && Number.isFinite(fallback.value)))
    fail(
      `${what}: with job.optimizer.eps null, settings().epsilon is ${JSON.stringify(fallback)}; declare the framework's default eps, a positive number`,
    )
  // The bias's first step is lr * |g| / (|g| + eps); Keras' placement scales |g| and eps by sqrt(1 - beta2).
  const g = 2 * (TINY.y[0] as number)
  const scale = fallback.placement === 'sqrt(v) + eps_hat' ? Math.sqrt(1 - ADAM.beta2) : 1
  const implied = (w: LayerWeights[]) =>
    scale * ((ADAM.lr * g) / Math.abs((w[0] as LayerWeights).bias[0] as number) - g)
  const value = String(fallback.value)
  await expectDeclared(backend, what, tiny, tolerance, {
    steps: `1 Adam step with eps null on a gradient of ${sci(g)}`,
    setting: 'default epsilon.value',
    declared: value,
    readings: { [value]: { optimizer: { ...ADAM, eps: fallback.value }, placement: fallback.placement } },
    hint: (w) => `; the step implies eps ${sci(implied(w))}`,
  })

  const sgd = makeJob(engine, { optimizer: SGD })
  const plain = settingsOf(backend, what, sgd)
  if (plain.epsilon !== null)
    fail(
      `${what}: settings().epsilon is ${JSON.stringify(plain.epsilon)} for SGD; it must be null (epsilon is Adam's)`,
    )
  if (plain.lossReduction !== 'mean' && plain.lossReduction !== 'sum')
    fail(`${what}: settings().lossReduction is ${JSON.stringify(plain.lossReduction)}, not 'mean' or 'sum'`)
  await expectDeclared(backend, what, sgd, tolerance, {
    steps: '1 SGD step',
    setting: 'lossReduction',
    declared: plain.lossReduction,
    // A sum's gradient is count times the mean's, and so is a plain SGD step.
    readings: { mean: {}, sum: { optimizer: { ...SGD, lr: SGD.lr * DATA.n * DATA.outputs } } },
  })
}

// 6. Prediction, one activation at a time (so a failure names it), then all of them stacked.

export const predicts: Check = async (backend, engine, o = {}) => {
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE
  const nets: [string, LayerSpec[]][] = ACTIVATIONS.map((activation) => [
    `2-3 ${activation}-1`,
    [{ units: 3, activation }, LINEAR_NET[0] as LayerSpec],
  ])
  nets.push(['2-4 relu-3 tanh-3 sigmoid-2 linear', DEEP_NET])
  for (const [k, [label, layers]] of nets.entries()) {
    const what = `predict (${label})`
    const model: TrainedModel = { inputs: DATA.inputs, layers, weights: weightsFor(layers, 100 + k) }
    const x = PREDICT_X.slice()
    let y: Float32Array
    try {
      y = await backend.predict(model, x, engine)
    } catch (e) {
      fail(`${what}: predict() rejected: ${messageOf(e)}`, e)
    }
    const n = PREDICT_X.length / DATA.inputs
    const width = (layers[layers.length - 1] as LayerSpec).units
    if (!(y instanceof Float32Array)) fail(`${what}: predict() returned ${y}, not a Float32Array`)
    if (y.length !== n * width)
      fail(`${what}: predict() returned ${y.length} values for ${n} rows of ${width} output(s)`)
    if (x.some((v, i) => !Object.is(v, PREDICT_X[i]))) fail(`${what}: predict() changed its input x`)
    const want = referenceForward(model, x)
    if (relativeError(y, want) > tolerance)
      fail(`${what}: ${worstCell(y, want, width)}${diagnoseForward(model, x, y, tolerance)}`)
  }
}

// 7. The exported graph is the portable form of a model; it must agree with the backend's own predict.

export const onnxRoundTrip: Check = async (backend, engine, o = {}) => {
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE
  const what = 'ONNX round trip'
  const job = makeJob(engine, { epochs: 3, batchSize: 2, order: SHUFFLED })
  const trained = await train(backend, what, job, recorder())
  const model: TrainedModel = { ...job.model, weights: trained.weights }
  const x = PREDICT_X
  let onnx: Float32Array
  try {
    onnx = await predictOnnx(model, x.slice())
  } catch (e) {
    fail(
      `${what}: exporting the trained weights or running them in onnxruntime-node failed: ${messageOf(e)}`,
      e,
    )
  }
  let mine: Float32Array
  try {
    mine = await backend.predict(model, x.slice(), engine)
  } catch (e) {
    fail(`${what}: predict() rejected: ${messageOf(e)}`, e)
  }
  if (relativeError(mine, onnx) > tolerance) {
    const ref = referenceForward(model, x)
    const who =
      relativeError(onnx, ref) <= tolerance
        ? 'onnxruntime agrees with the float64 reference, so predict() is off'
        : relativeError(mine, ref) <= tolerance
          ? 'predict() agrees with the float64 reference, so the exported graph is off'
          : 'neither agrees with the float64 reference'
    const cell = worstCell(mine, onnx, 1, 'onnxruntime gives')
    fail(`${what}: backend.predict and the exported model in onnxruntime-node disagree: ${cell}; ${who}`)
  }
}

// 8. Bad input must fail loudly, not produce numbers from misaligned rows.

async function outcome(
  run: () => Promise<unknown>,
): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await run() }
  } catch (error) {
    return { ok: false, error }
  }
}

export const rejectsBadInput: Check = async (backend, engine) => {
  const model: TrainedModel = { inputs: DATA.inputs, layers: LINEAR_NET, weights: weightsFor(LINEAR_NET) }
  const ragged = await outcome(() => backend.predict(model, new Float32Array(5), engine))
  if (ragged.ok)
    fail(
      `predict() accepted x with 5 values for rows of ${model.inputs} inputs (it returned ${(ragged.value as ArrayLike<number>)?.length} values); it must reject`,
    )
  const text = messageOf(ragged.error)
  if (!(ragged.error instanceof Error) || !/\bx\b|\brows?\b/i.test(text))
    fail(
      `predict() rejected x with 5 values for rows of ${model.inputs} inputs, but with "${text}", which names neither x nor rows; say what is wrong with the input`,
    )
  const offered = backend.engines.map((e) => e.id).join(', ')
  const predicted = await outcome(() => backend.predict(model, DATA.x, NO_SUCH_ENGINE))
  if (predicted.ok)
    fail(
      `predict() on engine '${NO_SUCH_ENGINE}', which it does not offer (it offers ${offered}), resolved instead of rejecting`,
    )
  const trained = await outcome(() => backend.train(makeJob(NO_SUCH_ENGINE, {}), recorder().hooks))
  if (trained.ok)
    fail(
      `train() on engine '${NO_SUCH_ENGINE}', which it does not offer (it offers ${offered}), resolved instead of rejecting`,
    )
}

// 9. Trials run by the hundred in one process (grids, folds, seeds): nothing may pile up.

/** Lets closed handles finish closing before counting. */
async function settle(ms = 0): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve))
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms))
  await new Promise((resolve) => setImmediate(resolve))
}

function activeResources(): Map<string, number> {
  const counts = new Map<string, number>()
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1)
  return counts
}

const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0)

export const noLeaks: Check = async (backend, engine, o = {}) => {
  const trials = Math.max(2, o.trials ?? 50)
  const what = 'leaks'
  const trial = async (i: number) => {
    const job = makeJob(engine, { epochs: 2, batchSize: 2, order: SHUFFLED, seed: i })
    const { weights } = await train(backend, `${what}, trial ${i}`, job, recorder())
    await backend.predict({ ...job.model, weights }, DATA.x, engine)
  }
  // The first trial may load modules, compile kernels, fill caches: count from after it.
  await trial(0)
  await settle()
  const before = activeResources()
  const live = await o.liveResources?.()
  for (let i = 1; i < trials; i++) await trial(i)
  await settle()
  let after = activeResources()
  if (total(after) > total(before)) {
    await settle(100)
    after = activeResources()
  }
  const problems: string[] = []
  if (total(after) > total(before)) {
    const grown = [...after]
      .filter(([type, count]) => count > (before.get(type) ?? 0))
      .map(([type, count]) => `${type} ${before.get(type) ?? 0} -> ${count}`)
    problems.push(
      `process.getActiveResourcesInfo() grew from ${total(before)} to ${total(after)} (${grown.join(', ')}): a timer, socket, child process or worker per trial is never closed`,
    )
  }
  const liveAfter = await o.liveResources?.()
  if (live !== undefined && liveAfter !== undefined && liveAfter > live)
    problems.push(
      `liveResources() grew from ${live} to ${liveAfter} (about ${((liveAfter - live) / (trials - 1)).toPrecision(2)} a trial)`,
    )
  if (problems.length > 0) fail(`${what}: after ${trials} train+predict trials, ${problems.join('; ')}`)
}

// 10-11. Files and teardown.

export const saves: Check = async (backend) => {
  const formats = backend.saveFormats ?? []
  if (formats.length === 0) return
  if (typeof backend.save !== 'function')
    fail(`saveFormats lists ${formats.join(', ')}, but the backend has no save()`)
  const model: TrainedModel = { inputs: DATA.inputs, layers: TANH_NET, weights: weightsFor(TANH_NET) }
  for (const format of formats) {
    const what = `save(model, '${format}')`
    let files: Record<string, Uint8Array>
    try {
      files = await backend.save(model, format)
    } catch (e) {
      fail(`${what} rejected: ${messageOf(e)}`, e)
    }
    const entries = Object.entries(files ?? {})
    for (const [name, bytes] of entries)
      if (!(bytes instanceof Uint8Array)) fail(`${what}: file '${name}' is ${typeof bytes}, not a Uint8Array`)
    if (!entries.some(([, bytes]) => bytes.length > 0))
      fail(
        entries.length === 0
          ? `${what} returned no files`
          : `${what} returned only empty files (${entries.map(([n]) => n).join(', ')})`,
      )
  }
}

export const dispose: Check = async (backend) => {
  try {
    await backend.dispose()
  } catch (e) {
    fail(`dispose() rejected: ${messageOf(e)}`, e)
  }
}

/** Every check, in the order describeBackend runs them; dispose last. */
export const checks = {
  firstAdamStep,
  firstSgdStep,
  batchOrder,
  validationLoss,
  stopsWhenTold,
  abortsWhenAsked,
  restoresSnapshot,
  tracksWeights,
  deterministic,
  frameworkConventions,
  declaresSettings,
  predicts,
  onnxRoundTrip,
  rejectsBadInput,
  noLeaks,
  saves,
  dispose,
} satisfies Record<string, Check>

export type CheckName = keyof typeof checks

export const CHECK_TITLES: Record<CheckName, string> = {
  firstAdamStep: 'first Adam step matches the float64 reference',
  firstSgdStep: 'first SGD step matches the float64 reference',
  batchOrder: 'visits rows in order(epoch), one step per batch',
  validationLoss: 'reports valLoss on job.validation',
  stopsWhenTold: 'stops at once when onEpochEnd says stop',
  abortsWhenAsked: 'an aborted hooks.signal stops training and rejects with its reason',
  restoresSnapshot: "restoreBestWeights returns the snapshot epoch's weights",
  tracksWeights: "with trackWeights, passes each epoch's weights as copies in logs.weights",
  deterministic: 'the same job twice gives identical weights and losses',
  frameworkConventions: 'trains with initialWeights and order null, deterministically per seed',
  declaresSettings: 'settings(job) states what train(job) applies: init, order, batch size, eps, reduction',
  predicts: 'predict matches the float64 forward pass for every activation',
  onnxRoundTrip: 'the exported ONNX model predicts like backend.predict in onnxruntime',
  rejectsBadInput: 'rejects x that is not whole rows, and engines it does not offer',
  noLeaks: 'holds no more resources after many trials',
  saves: 'save() returns non-empty files for each of saveFormats',
  dispose: 'dispose() resolves',
}
