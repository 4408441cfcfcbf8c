/**
 * 3. Early stopping is the harness's decision; the backend only obeys it, at once. So does Ctrl-C;
 * and the weights getter passed per epoch gives that epoch's weights.
 */
import { cloneWeights, type LayerWeights } from '@dualfit/core'
import {
  describeMismatch,
  errorOf,
  fail,
  firstBitDifference,
  messageOf,
  shapeProblem,
  worst,
} from '../assertions.js'
import { DATA, makeJob, recorder, SGD, SGD_MOMENTUM, SHUFFLED, TANH_NET } from '../fixtures.js'
import { referenceTrain } from '../reference.js'
import { type Check, DEFAULT_TOLERANCE, expectEpochs, expectSteps, train } from './check.js'

export const stopsWhenTold: Check = async (backend, engine, o = {}) => {
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE
  const what = 'stop'
  const job = () => makeJob(engine, { epochs: 10, batchSize: 2, order: SHUFFLED, optimizer: SGD })
  const rec = recorder((epoch) => epoch === 2)
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
    return false
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

// Core reads an epoch's weights through the getter (best-weights snapshots, time to quality): they
// must be that epoch's, stay so, and reading them must not change the run that core times.
export const tracksWeights: Check = async (backend, engine, o = {}) => {
  const tolerance = o.tolerance ?? DEFAULT_TOLERANCE
  const what = 'epoch weights'
  // Momentum, so that a getter which loses optimizer state changes the later steps.
  const job = () => makeJob(engine, { epochs: 3, batchSize: 2, order: SHUFFLED, optimizer: SGD_MOMENTUM })
  const start = cloneWeights(job().initialWeights as LayerWeights[])
  /** What weights() returned at each epoch, and a copy taken before training went on. */
  const got: { given: LayerWeights[]; copy: LayerWeights[] }[] = []
  let problem: string | null = null
  const asking = recorder(async (epoch, weights) => {
    if (problem) return true
    try {
      const given = await weights()
      const shape = shapeProblem(given, DATA.inputs, TANH_NET)
      if (shape) problem = `weights() at epoch ${epoch} returned malformed weights: ${shape}`
      else got.push({ given, copy: cloneWeights(given) })
    } catch (e) {
      problem = `weights() at epoch ${epoch} rejected: ${messageOf(e)}`
    }
    return problem !== null
  })
  const result = await train(backend, what, job(), asking)
  if (problem) fail(`${what}: ${problem}`)
  expectEpochs(what, asking, 3, 'the job has 3 epochs')
  const quiet = await train(backend, what, job(), recorder())
  const diff = firstBitDifference(result.weights, quiet.weights)
  if (diff)
    fail(
      `${what}: calling weights() at every epoch changed the final weights (${diff}, with the calls then without); weights() must only copy the weights, not change training`,
    )
  type Got = (typeof got)[number]
  const changed = firstBitDifference((got[0] as Got).copy, (got[0] as Got).given)
  if (changed)
    fail(
      `${what}: the weights weights() returned at epoch 0 changed after onEpochEnd returned (${changed}); return copies, not buffers that later steps update`,
    )
  const after = (epochs: number) =>
    referenceTrain({ ...job(), epochs, initialWeights: start, order: SHUFFLED }).weights
  for (const [epoch, { copy }] of got.entries()) {
    const m = worst(copy, after(epoch + 1))
    if (m.error > tolerance)
      fail(
        `${what}: weights() at epoch ${epoch} are not the weights after that epoch's last step: ${describeMismatch(m)}${errorOf(copy, after(epoch)) <= tolerance ? "; they are the epoch's starting weights" : ''}`,
      )
  }
  const differs = firstBitDifference((got[2] as Got).copy, result.weights)
  if (differs)
    fail(
      `${what}: weights() at the last epoch and the weights train() returned differ (${differs}); train() returns the weights after the last epoch run`,
    )
}
