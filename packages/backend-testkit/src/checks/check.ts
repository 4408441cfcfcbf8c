/** What a check is, and the train() wrapper and expectations the training checks share. */
import type { Backend, TrainJob, TrainResult, TrainSettings } from '@dualfit/core'
import { fail, messageOf, shapeProblem } from '../assertions.js'
import type { Recorder } from '../fixtures.js'

export interface CheckOptions {
  /** Relative tolerance against the float64 reference (max |a - b| / max |b|, floored at 1e-3). */
  tolerance?: number
  /** A backend-specific count of live handles (e.g. tf.memory().numTensors); must stay flat. */
  liveResources?: () => number | Promise<number>
  /** Train+predict jobs in the leak check. */
  trials?: number
}

export type Check = (backend: Backend, engine: string, options?: CheckOptions) => Promise<void>

export const DEFAULT_TOLERANCE = 1e-5

/** train(), with its rejection and a malformed result turned into a failure that says so. */
export async function train(
  backend: Backend,
  what: string,
  job: TrainJob,
  rec: Recorder,
): Promise<TrainResult> {
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

export function settingsOf(backend: Backend, what: string, job: TrainJob): TrainSettings {
  try {
    return backend.settings(job)
  } catch (e) {
    fail(`${what}: settings() threw: ${messageOf(e)}`, e)
  }
}

export function expectEpochs(what: string, rec: Recorder, epochs: number, why: string): void {
  if (rec.calls.length !== epochs) fail(`${what}: onEpochEnd was called ${rec.calls.length} time(s); ${why}`)
}

export function expectSteps(what: string, result: TrainResult, steps: number, why: string): void {
  if (result.steps !== steps) fail(`${what}: steps is ${result.steps}; ${why}`)
}
