/**
 * 3. Early stopping is the harness's decision; the backend only obeys it, at once. So do Ctrl-C,
 * snapshots and the weights passed per epoch.
 */
import { cloneWeights, type LayerWeights, type TrainJob } from '@dualfit/core'
import {
  describeMismatch,
  errorOf,
  fail,
  firstBitDifference,
  messageOf,
  shapeProblem,
  worst,
} from '../assertions.js'
import { makeJob, type Recorder, recorder, SGD, SHUFFLED } from '../fixtures.js'
import { referenceTrain } from '../reference.js'
import { type Check, DEFAULT_TOLERANCE, expectEpochs, expectSteps, train } from './check.js'

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
