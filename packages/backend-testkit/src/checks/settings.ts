/** Settings: `dualfit parity` compares backends by what they declare, so each must be what train() does. */
import {
  type Backend,
  batchOrder,
  cloneWeights,
  type EpsilonPlacement,
  type LayerWeights,
  PROBABILITY_CLIP,
  type TrainJob,
  type TrainSettings,
} from '@dualfit/core'
import { describeMismatch, errorOf, fail, sci, worst } from '../assertions.js'
import {
  ADAM,
  CLASSIFICATION_CASES,
  DATA,
  LINEAR_NET,
  makeJob,
  recorder,
  SATURATED,
  SATURATED_BINARY,
  SATURATED_WEIGHTS,
  SEED,
  SGD,
  TINY,
} from '../fixtures.js'
import { type ReferenceJob, referenceTrain, TORCH_FORMULA } from '../reference.js'
import { type Check, DEFAULT_TOLERANCE, settingsOf, train } from './check.js'

const PLACEMENTS: readonly EpsilonPlacement[] = ['sqrt(v_hat) + eps', 'sqrt(v) + eps_hat']
/** Large enough that the two placements take clearly different steps. */
const LARGE_EPS = 0.5

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

const WHAT = 'settings'

export const declaresSettings: Check = async (backend, engine, o = {}) => {
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE
  // Two steps, so that a bias correction that depends on the step count shows.
  const adam = makeJob(engine, { optimizer: { ...ADAM, eps: LARGE_EPS }, epochs: 2 })
  const given = settingsOf(backend, WHAT, adam)
  expectGivenOrOwn(backend, engine, adam, given)
  await expectEpsilon(backend, adam, given, tolerance)
  await expectDefaultEpsilon(backend, engine, tolerance)
  await expectLossReduction(backend, engine, tolerance)
  await expectProbabilities(backend, engine, tolerance)
}

/** What the job gives is declared 'given'; what it leaves null, the framework's own choice. */
function expectGivenOrOwn(backend: Backend, engine: string, adam: TrainJob, given: TrainSettings): void {
  for (const [key, field] of GIVEN)
    if (given[key] !== 'given')
      fail(
        `${WHAT}: job.${field} is given, but settings().${key} is ${JSON.stringify(given[key])}, not 'given'`,
      )
  if (given.batchSize !== adam.batchSize)
    fail(`${WHAT}: settings().batchSize is ${given.batchSize}, the job's batchSize is ${adam.batchSize}`)
  const own = settingsOf(backend, WHAT, makeJob(engine, { initialWeights: null, order: null }))
  for (const [key, field] of GIVEN)
    if (typeof own[key] !== 'string' || own[key] === 'given' || own[key].trim() === '')
      fail(
        `${WHAT}: with job.${field} null, settings().${key} is ${JSON.stringify(own[key])}; describe the framework's own ${key} as train() applies it`,
      )
}

/** Adam's declared eps is the job's, placed where the steps show it. */
async function expectEpsilon(
  backend: Backend,
  adam: TrainJob,
  given: TrainSettings,
  tolerance: number,
): Promise<void> {
  const eps = given.epsilon
  if (eps?.value !== LARGE_EPS)
    fail(
      `${WHAT}: settings().epsilon is ${JSON.stringify(eps)} for Adam with eps ${LARGE_EPS}; its value must be job.optimizer.eps`,
    )
  if (!PLACEMENTS.includes(eps.placement))
    fail(
      `${WHAT}: settings().epsilon.placement is ${JSON.stringify(eps.placement)}, not one of '${PLACEMENTS.join("', '")}'`,
    )
  await expectDeclared(backend, WHAT, adam, tolerance, {
    steps: `2 Adam steps with eps ${LARGE_EPS}`,
    setting: 'epsilon placement',
    declared: eps.placement,
    readings: Object.fromEntries(
      PLACEMENTS.map((p) => [p, { formula: { ...TORCH_FORMULA, adamEpsilon: p } }]),
    ) as Record<EpsilonPlacement, Partial<ReferenceJob>>,
  })
}

/** eps null: the framework's default, which a gradient as small as TINY's makes visible. */
async function expectDefaultEpsilon(backend: Backend, engine: string, tolerance: number): Promise<void> {
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
  const fallback = settingsOf(backend, WHAT, tiny).epsilon
  if (!(fallback && fallback.value > 0 && Number.isFinite(fallback.value)))
    fail(
      `${WHAT}: with job.optimizer.eps null, settings().epsilon is ${JSON.stringify(fallback)}; declare the framework's default eps, a positive number`,
    )
  // The bias's first step is lr * |g| / (|g| + eps); Keras' placement scales |g| and eps by sqrt(1 - beta2).
  const g = 2 * (TINY.y[0] as number)
  const scale = fallback.placement === 'sqrt(v) + eps_hat' ? Math.sqrt(1 - ADAM.beta2) : 1
  const implied = (w: LayerWeights[]) =>
    scale * ((ADAM.lr * g) / Math.abs((w[0] as LayerWeights).bias[0] as number) - g)
  const value = String(fallback.value)
  await expectDeclared(backend, WHAT, tiny, tolerance, {
    steps: `1 Adam step with eps null on a gradient of ${sci(g)}`,
    setting: 'default epsilon.value',
    declared: value,
    readings: {
      [value]: {
        optimizer: { ...ADAM, eps: fallback.value },
        formula: { ...TORCH_FORMULA, adamEpsilon: fallback.placement },
      },
    },
    hint: (w) => `; the step implies eps ${sci(implied(w))}`,
  })
}

/** SGD declares no epsilon, and a loss reduction its step follows. */
async function expectLossReduction(backend: Backend, engine: string, tolerance: number): Promise<void> {
  const sgd = makeJob(engine, { optimizer: SGD })
  const plain = settingsOf(backend, WHAT, sgd)
  if (plain.epsilon !== null)
    fail(
      `${WHAT}: settings().epsilon is ${JSON.stringify(plain.epsilon)} for SGD; it must be null (epsilon is Adam's)`,
    )
  if (plain.lossReduction !== 'mean' && plain.lossReduction !== 'sum')
    fail(`${WHAT}: settings().lossReduction is ${JSON.stringify(plain.lossReduction)}, not 'mean' or 'sum'`)
  await expectDeclared(backend, WHAT, sgd, tolerance, {
    steps: '1 SGD step',
    setting: 'lossReduction',
    declared: plain.lossReduction,
    // A sum's gradient is count times the mean's, and so is a plain SGD step.
    readings: { mean: {}, sum: { optimizer: { ...SGD, lr: SGD.lr * DATA.n * DATA.outputs } } },
  })
}

type Clip = [number, number] | null
const KERAS_CLIP: Clip = [PROBABILITY_CLIP, 1 - PROBABILITY_CLIP]
const clipName = (clip: Clip) => (clip ? `[${clip.join(', ')}]` : 'none')

/**
 * probabilities: null for a regression loss; for a classification loss the softmax/sigmoid the loss
 * implies, where it sits, and a clip that train() really applies. One SGD step on SATURATED, whose
 * row 0 has its label's probability at 2e-9, tells them apart: under a 1e-7 clip that row's
 * gradient vanishes, without one it is about 1.
 */
async function expectProbabilities(backend: Backend, engine: string, tolerance: number): Promise<void> {
  const regression = settingsOf(backend, WHAT, makeJob(engine)).probabilities
  if (regression != null)
    fail(
      `${WHAT}: settings().probabilities is ${JSON.stringify(regression)} for mse; it must be null (regression)`,
    )
  for (const c of CLASSIFICATION_CASES) {
    const binary = c.loss.name === 'binary_cross_entropy'
    const layer = { units: binary ? 1 : 3, activation: (c.layers[1] as (typeof c.layers)[number]).activation }
    const job = makeJob(engine, {
      model: { inputs: SATURATED.inputs, layers: [layer] },
      loss: c.loss,
      optimizer: SGD,
      data: binary ? SATURATED_BINARY : SATURATED,
      batchSize: SATURATED.n,
      initialWeights: [SATURATED_WEIGHTS[binary ? 'binary_cross_entropy' : 'cross_entropy']],
      order: batchOrder(SATURATED.n, false, SEED),
    })
    const what = `${WHAT} (${c.loss.name}, fromLogits ${c.loss.fromLogits})`
    const p = settingsOf(backend, what, job).probabilities
    const want = { activation: binary ? 'sigmoid' : 'softmax', at: c.loss.fromLogits ? 'loss' : 'model' }
    if (p?.activation !== want.activation || p.at !== want.at)
      fail(
        `${what}: settings().probabilities is ${JSON.stringify(p)}; expected activation '${want.activation}' at '${want.at}' and the clip train() applies`,
      )
    const { clip } = p
    if (
      clip !== null &&
      !(Array.isArray(clip) && clip.length === 2 && 0 <= clip[0] && clip[0] < clip[1] && clip[1] <= 1)
    )
      fail(
        `${what}: settings().probabilities.clip is ${JSON.stringify(clip)}, not null or [lo, hi] in [0, 1]`,
      )
    const other = clip ? null : KERAS_CLIP
    await expectDeclared(backend, what, job, tolerance, {
      steps: "1 SGD step with a row whose label's probability is 2e-9",
      setting: 'probabilities.clip',
      declared: clipName(clip),
      readings: {
        [clipName(clip)]: { loss: { ...c.loss, clip } },
        [clipName(other)]: { loss: { ...c.loss, clip: other } },
      },
    })
  }
}
