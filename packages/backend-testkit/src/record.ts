import type { Backend, EpochLogs, TrainedModel, TrainHooks, TrainJob, TrainResult } from '@dualfit/core'

export interface Recorded extends TrainResult {
  /** What the harness would keep: each epoch's loss (and valLoss when reported). */
  history: { loss: number[]; valLoss?: number[] }
  epochsRun: number
  /** The result as a model, ready for predict(). */
  model: TrainedModel
}

const CONTINUE = () => ({ stop: false, snapshot: false })

/** backend.train, recording each epoch's logs as core's harness does, for a backend's own tests. */
export async function trainRecorded(
  backend: Backend,
  job: TrainJob,
  hooks: TrainHooks = { onEpochEnd: CONTINUE },
): Promise<Recorded> {
  const loss: number[] = []
  const valLoss: number[] = []
  const r = await backend.train(job, {
    ...hooks,
    onEpochEnd: (epoch: number, logs: EpochLogs) => {
      loss.push(logs.loss)
      if (logs.valLoss !== undefined) valLoss.push(logs.valLoss)
      return hooks.onEpochEnd(epoch, logs)
    },
  })
  return {
    ...r,
    history: valLoss.length > 0 ? { loss, valLoss } : { loss },
    epochsRun: loss.length,
    model: { inputs: job.model.inputs, layers: job.model.layers, weights: r.weights },
  }
}
