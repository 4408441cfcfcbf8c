/**
 * The optimizer family, schedules and layers' l2 against the float64 reference. Every run also
 * checks settings().optimizer: under init keras, torch or tfjs it must declare the convention's
 * formulas (core's FORMULAS) and the steps must follow them; under 'framework' (formula null) the
 * backend declares its own, and the steps must follow what it declares. When they do not, the
 * message names the other reading (a formula's form, a default's value) the steps do follow.
 */
import {
  type Backend,
  cloneWeights,
  FORMULAS,
  type InitConvention,
  type LayerSpec,
  type LayerWeights,
  resolveSchedule,
  type TrainJob,
  type TrainSettings,
} from '@dualfit/core'
import { describeMismatch, errorOf, fail, pair, scalarError, sci, worst } from '../assertions.js'
import {
  DATA,
  DEFAULT_CASES,
  IN_ORDER,
  L2_NET,
  LINEAR_NET,
  makeJob,
  OPTIMIZER_CASES,
  type OptimizerCase,
  optimizerOf,
  recorder,
  SCHEDULE_CASES,
  SCHEDULE_LR,
  SHUFFLED,
  TANH_NET,
} from '../fixtures.js'
import {
  claimedFormula,
  conventionFormula,
  type ReferenceFormula,
  type ReferenceJob,
  type ReferenceRun,
  referenceTrain,
} from '../reference.js'
import { type Check, DEFAULT_TOLERANCE, expectEpochs, settingsOf, train } from './check.js'

type Declared = NonNullable<TrainSettings['optimizer']>
type Field = keyof Declared | 'epsilon'

const CONVENTIONS = ['keras', 'torch', 'tfjs'] as const
const show = (v: unknown) => JSON.stringify(v)
const other = <T>(two: readonly [T, T], v: T): T => (v === two[0] ? two[1] : two[0])

/**
 * Each field as the job fixes it: null where it does not apply, an object whose undefined members
 * are the backend's own choice (init 'framework'), or undefined: applies, all the backend's own.
 */
function wanted(job: TrainJob): Record<Field, unknown> {
  const o = job.optimizer
  const f = o.formula ? conventionFormula(o.name, o.formula) : null
  const adam = o.name === 'adam' || o.name === 'adamw'
  const root = o.name === 'rmsprop' || o.name === 'adagrad'
  const eps = o.eps ?? undefined
  const decay =
    o.weightDecay === 0
      ? null
      : o.weightDecay === null
        ? undefined
        : { value: o.weightDecay, form: o.name === 'adamw' ? 'decoupled' : f?.weightDecay }
  return {
    name: o.name,
    epsilon: adam ? { value: eps, placement: f?.adamEpsilon } : null,
    rootEpsilon: root ? { value: eps, placement: f?.rootEpsilon } : null,
    momentum:
      (o.name === 'sgd' || o.name === 'rmsprop') && o.momentum > 0
        ? { value: o.momentum, form: f?.momentum, nesterov: o.nesterov }
        : null,
    rho: o.name === 'rmsprop' ? (o.rho ?? undefined) : null,
    centered: o.name === 'rmsprop' ? o.centered : null,
    initialAccumulator: o.name === 'adagrad' ? (o.initialAccumulator ?? undefined) : null,
    weightDecay: decay,
    schedule: job.schedule
      ? { name: job.schedule.name, semantics: job.schedule.semantics ?? undefined }
      : null,
  }
}

/** Whether `got` is what `want` (from wanted) allows. */
function allows(want: unknown, got: unknown): boolean {
  if (want === undefined) return got !== null && got !== undefined
  if (want === null || typeof want !== 'object') return got === want
  if (got === null || typeof got !== 'object') return false
  return Object.entries(want).every(([k, v]) =>
    v === undefined ? (got as Record<string, unknown>)[k] != null : (got as Record<string, unknown>)[k] === v,
  )
}

const PLACEMENTS = {
  adamEpsilon: ['sqrt(v_hat) + eps', 'sqrt(v) + eps_hat'],
  rootEpsilon: ['sqrt(v) + eps', 'sqrt(v + eps)'],
  momentum: [FORMULAS.torch.momentum, FORMULAS.keras.momentum],
  weightDecay: ['decoupled', 'gradient'],
  semantics: ['keras', 'torch'],
} as const

/** The settings train(job) must declare, checked; and the reference job they describe. */
function declared(
  backend: Backend,
  what: string,
  job: TrainJob,
): { s: TrainSettings; ref: Partial<ReferenceJob> } {
  const s = settingsOf(backend, what, job)
  const o = s.optimizer
  if (!o) fail(`${what}: settings().optimizer is missing; state the optimizer's formulas train(job) applies`)
  const init = job.optimizer.formula ? `init '${job.optimizer.formula.convention}'` : "init 'framework'"
  const given: Record<Field, unknown> = { ...o, epsilon: s.epsilon }
  for (const [field, want] of Object.entries(wanted(job)) as [Field, unknown][]) {
    const got = given[field] ?? null
    if (allows(want, got)) continue
    const where = field === 'epsilon' ? 'settings().epsilon' : `settings().optimizer.${field}`
    const expected =
      want === null
        ? `null (it does not apply to ${job.optimizer.name}${field === 'momentum' ? ' without momentum' : ''})`
        : want === undefined
          ? 'the value train() applies'
          : JSON.stringify(want, (_, v) => (v === undefined ? "(the backend's own)" : v))
    fail(`${what}: ${where} is ${show(got)}; under ${init} it must be ${expected}`)
  }
  const bad = (field: string, v: unknown, allowed: readonly string[]) => {
    if (v !== undefined && !allowed.includes(v as string))
      fail(
        `${what}: settings().${field} is ${show(v)}, not one of ${allowed.map((a) => `'${a}'`).join(', ')}`,
      )
  }
  bad('epsilon.placement', s.epsilon?.placement, PLACEMENTS.adamEpsilon)
  bad('optimizer.rootEpsilon.placement', o.rootEpsilon?.placement, PLACEMENTS.rootEpsilon)
  bad('optimizer.momentum.form', o.momentum?.form, PLACEMENTS.momentum)
  bad('optimizer.weightDecay.form', o.weightDecay?.form, PLACEMENTS.weightDecay)
  bad('optimizer.schedule.semantics', o.schedule?.semantics, PLACEMENTS.semantics)
  const formula = claimedFormula(s)
  const optimizer = {
    ...job.optimizer,
    eps: s.epsilon?.value ?? o.rootEpsilon?.value ?? job.optimizer.eps,
    rho: o.rho ?? job.optimizer.rho,
    initialAccumulator: o.initialAccumulator ?? job.optimizer.initialAccumulator,
    weightDecay: o.weightDecay?.value ?? 0,
  }
  const schedule = job.schedule && o.schedule ? { ...job.schedule, semantics: o.schedule.semantics } : null
  return { s, ref: { formula, optimizer, schedule } }
}

/** Other readings of what was declared, one setting changed each: what a wrong claim would hide. */
function readings(ref: Partial<ReferenceJob>): { claim: string; alt: string; ref: Partial<ReferenceJob> }[] {
  const {
    formula: f,
    optimizer: o,
    schedule,
  } = ref as Required<Pick<ReferenceJob, 'formula' | 'optimizer'>> & Partial<ReferenceJob>
  const out: { claim: string; alt: string; ref: Partial<ReferenceJob> }[] = []
  const form = (key: keyof ReferenceFormula, label: string) => {
    const alt = other(PLACEMENTS[key] as readonly [string, string], f[key])
    out.push({
      claim: `${label} '${f[key]}'`,
      alt: `'${alt}'`,
      ref: { ...ref, formula: { ...f, [key]: alt } },
    })
  }
  const value = <K extends 'rho' | 'initialAccumulator' | 'weightDecay'>(
    key: K,
    values: readonly number[],
  ) => {
    for (const v of values)
      if (v !== o[key])
        out.push({
          claim: `${key} ${o[key]}`,
          alt: `${key} ${v}`,
          ref: { ...ref, optimizer: { ...o, [key]: v } },
        })
  }
  if (o.name === 'adam' || o.name === 'adamw') form('adamEpsilon', 'epsilon.placement')
  if (o.name === 'rmsprop' || o.name === 'adagrad') form('rootEpsilon', 'rootEpsilon.placement')
  if ((o.name === 'sgd' || o.name === 'rmsprop') && o.momentum > 0) form('momentum', 'momentum.form')
  if (o.name !== 'adamw' && (o.weightDecay ?? 0) > 0) form('weightDecay', 'weightDecay.form')
  // The conventions' defaults (core's optimizers.ts), and decay ignored.
  if (o.name === 'rmsprop') value('rho', [0.9, 0.99])
  if (o.name === 'adagrad') value('initialAccumulator', [0, 0.1])
  value('weightDecay', o.name === 'adamw' ? [0, 0.01, 0.004] : [0])
  if (o.name === 'rmsprop')
    out.push({
      claim: `centered ${o.centered}`,
      alt: `centered ${!o.centered}`,
      ref: { ...ref, optimizer: { ...o, centered: !o.centered } },
    })
  if (schedule?.semantics) {
    const alt = other(PLACEMENTS.semantics, schedule.semantics)
    out.push({
      claim: `schedule semantics '${schedule.semantics}'`,
      alt: `'${alt}'`,
      ref: { ...ref, schedule: { ...schedule, semantics: alt } },
    })
  }
  return out
}

/** Trains `job`; its losses, lr per epoch and weights must match the reference its settings declare. */
async function expectSteps(
  backend: Backend,
  what: string,
  job: TrainJob,
  tolerance: number,
  hint: (
    run: { losses: number[]; weights: LayerWeights[] },
    want: ReferenceRun,
    ref: Partial<ReferenceJob>,
  ) => string = () => '',
): Promise<void> {
  const { ref } = declared(backend, what, job)
  const start = cloneWeights(job.initialWeights as LayerWeights[])
  const order = job.order as ReferenceJob['order']
  const rec = recorder()
  const result = await train(backend, what, job, rec)
  expectEpochs(what, rec, job.epochs, `the job has ${job.epochs} epochs`)
  const refOf = (r: Partial<ReferenceJob>) => referenceTrain({ ...job, initialWeights: start, order, ...r })
  const want = refOf(ref)
  const losses = rec.calls.map((c) => c.logs.loss)
  const run = { losses, weights: result.weights }
  const m = worst(result.weights, want.weights)
  // A reading that the steps follow and the declared one does not (constant-lr momentum forms agree).
  const follows = () => {
    const alt =
      m.error > tolerance
        ? readings(ref).find((r) => {
            const w = refOf(r.ref).weights
            return errorOf(result.weights, w) <= tolerance && errorOf(w, want.weights) > tolerance
          })
        : undefined
    return alt ? `; settings() declare ${alt.claim} but the steps follow ${alt.alt}` : hint(run, want, ref)
  }
  for (const { epoch, logs } of rec.calls) {
    const lr = want.lrs[epoch] as number
    if (job.schedule && (logs.lr === undefined || scalarError(logs.lr, lr) > tolerance)) {
      const alt = readings(ref).find(
        (r) =>
          r.ref.schedule &&
          scalarError(logs.lr ?? Number.NaN, refOf(r.ref).lrs[epoch] as number) <= tolerance,
      )
      fail(
        `${what}: epoch ${epoch} reports lr ${logs.lr}, the reference is ${lr} (the lr the epoch ran at, in EpochLogs.lr)${alt ? `; settings() declare ${alt.claim} but the lr follows ${alt.alt}` : ''}`,
      )
    }
  }
  losses.forEach((loss, epoch) => {
    const w = want.losses[epoch] as number
    if (scalarError(loss, w) > tolerance) {
      const [g, r] = pair(loss, w)
      fail(
        `${what}: epoch ${epoch} loss is ${g}, the reference is ${r} (relative error ${sci(scalarError(loss, w))})${follows()}`,
      )
    }
  })
  if (m.error > tolerance) fail(`${what}: after ${want.steps} steps, ${describeMismatch(m)}${follows()}`)
}

/** 2 epochs in shuffled batches of 2 on the 2-16-1 tanh net: 6 steps. */
function caseJob(engine: string, c: OptimizerCase, init: InitConvention): TrainJob {
  return makeJob(engine, {
    optimizer: optimizerOf(c.optimizer, init),
    schedule: resolveSchedule(c.schedule, init),
    epochs: 2,
    batchSize: 2,
    order: SHUFFLED,
  })
}

export const optimizerSteps: Check = async (backend, engine, o = {}) => {
  for (const init of CONVENTIONS)
    for (const c of OPTIMIZER_CASES)
      await expectSteps(
        backend,
        `${c.label}, init '${init}'`,
        caseJob(engine, c, init),
        o.tolerance ?? DEFAULT_TOLERANCE,
      )
}

/**
 * Under init 'framework' (formula null): the declared formulas (eps given, so its placement shows)
 * and the declared defaults (eps, rho, accumulator, AdamW's decay: 3 full-batch steps of the 2-1
 * linear net, whose gradients stay far from 0) reproduce the steps.
 */
export const frameworkOptimizers: Check = async (backend, engine, o = {}) => {
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE
  for (const c of OPTIMIZER_CASES)
    await expectSteps(backend, `${c.label}, init 'framework'`, caseJob(engine, c, 'framework'), tolerance)
  for (const c of DEFAULT_CASES) {
    const job = makeJob(engine, {
      model: { inputs: DATA.inputs, layers: LINEAR_NET },
      optimizer: optimizerOf(c.optimizer, 'framework'),
      epochs: 3,
    })
    await expectSteps(backend, `${c.label}, init 'framework'`, job, tolerance)
  }
}

/** Each schedule in Keras' and PyTorch's semantics, and in the backend's own: 7 full-batch SGD epochs. */
export const schedules: Check = async (backend, engine, o = {}) => {
  for (const s of SCHEDULE_CASES)
    for (const init of ['keras', 'torch', 'framework'] as const) {
      const job = makeJob(engine, {
        model: { inputs: DATA.inputs, layers: LINEAR_NET },
        optimizer: optimizerOf({ name: 'sgd', lr: SCHEDULE_LR, eps: 1e-7 }, init),
        schedule: resolveSchedule(s, init),
        epochs: 7,
      })
      await expectSteps(backend, `${s.name} schedule, init '${init}'`, job, o.tolerance ?? DEFAULT_TOLERANCE)
    }
}

/** λ Σ kernel² of the weights a reference epoch starts from (full batch: the one step's). */
function penaltyAt(job: TrainJob, ref: Partial<ReferenceJob>, epoch: number, start: LayerWeights[]): number {
  const { weights } = referenceTrain({
    ...job,
    initialWeights: start,
    order: IN_ORDER,
    ...ref,
    epochs: epoch,
  })
  return weights.reduce(
    (sum, w, k) =>
      sum + ((job.model.layers[k] as LayerSpec).l2 ?? 0) * w.kernel.reduce((a, v) => a + v * v, 0),
    0,
  )
}

/**
 * Keras' kernel_regularizer l2 on both layers: in the gradient and in the reported loss. Full batch,
 * 2 epochs, SGD with momentum under torch and Adam under keras.
 */
export const l2Penalty: Check = async (backend, engine, o = {}) => {
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE
  for (const [init, name] of [
    ['torch', 'sgd'],
    ['keras', 'adam'],
  ] as const) {
    const job = makeJob(engine, {
      model: { inputs: DATA.inputs, layers: L2_NET },
      optimizer: optimizerOf({ name, lr: 0.05, eps: 1e-7, momentum: name === 'sgd' ? 0.9 : 0 }, init),
      epochs: 2,
    })
    const start = cloneWeights(job.initialWeights as LayerWeights[])
    const what = `l2 0.0625 and 0.125 on a 2-16-1 tanh net, ${name}, init '${init}'`
    await expectSteps(backend, what, job, tolerance, (run, want, ref) => {
      const plain = referenceTrain({
        ...job,
        ...ref,
        model: { ...job.model, layers: TANH_NET },
        initialWeights: start,
        order: IN_ORDER,
      })
      if (errorOf(run.weights, plain.weights) <= tolerance)
        return '; the weights match training without l2: add 2 λ kernel to each kernel gradient'
      const bare = want.losses.map((l, e) => l - penaltyAt(job, ref, e, start))
      if (run.losses.every((l, e) => scalarError(l, bare[e] as number) <= tolerance))
        return '; the loss leaves out the penalty: report λ Σ kernel² in it, as Keras does'
      return ''
    })
  }
}
