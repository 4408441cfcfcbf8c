import {
  type Backend,
  History,
  type TrainedModel,
  type TrainHooks,
  type TrainJob,
  type TrainResult,
} from '@dualfit/core'

export interface Recorded extends TrainResult {
  /** What core's History keeps: each epoch's loss, and valLoss when the job has validation rows. */
  history: { loss: number[]; valLoss?: number[] }
  epochsRun: number
  /** The result as a model, ready for predict(). */
  model: TrainedModel
}

const CONTINUE: TrainHooks = { onEpochEnd: async () => 'continue' }

/** backend.train, recording each epoch with core's own History callback, for a backend's own tests. */
export async function trainRecorded(
  backend: Backend,
  job: TrainJob,
  hooks: TrainHooks = CONTINUE,
): Promise<Recorded> {
  const history = new History(backend.id, job.validation !== undefined)
  const r = await backend.train(job, {
    ...hooks,
    onEpochEnd: async (epoch, logs, weights) => {
      history.onEpochEnd(epoch, logs)
      return hooks.onEpochEnd(epoch, logs, weights)
    },
  })
  const { loss, valLoss } = history
  return {
    ...r,
    history: valLoss ? { loss, valLoss } : { loss },
    epochsRun: loss.length,
    model: { inputs: job.model.inputs, layers: job.model.layers, weights: r.weights },
  }
}
