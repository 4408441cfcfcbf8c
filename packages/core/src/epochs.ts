/**
 * The harness's side of every epoch, as small callbacks in a list: the shape of Keras' and TF.js'
 * callbacks, where `History` is itself one callback among others. A backend sees one TrainHooks.
 */
import type { DataSplit, EpochLogs, LayerWeights, TrainHooks } from './backend.js'
import { EarlyStopping, type EarlyStoppingRule } from './early-stopping.js'
import { argmaxRow, modelProbabilities } from './metrics.js'
import { forwardRows } from './model.js'
import type { LayerSpec } from './spec.js'

export interface EpochCallback {
  /** `weights()` fetches this epoch's final weights (once per epoch, whoever asks). True: stop now. */
  onEpochEnd(
    epoch: number,
    logs: EpochLogs,
    weights: () => Promise<LayerWeights[]>,
  ): boolean | undefined | Promise<boolean | undefined>
}

/** Each epoch's loss, its validation loss when the job has validation rows, and its lr with a schedule. */
export class History implements EpochCallback {
  readonly loss: number[] = []
  readonly valLoss: number[] | undefined
  readonly lr: number[] | undefined

  constructor(
    private readonly who: string,
    validation: boolean,
    scheduled = false,
  ) {
    this.valLoss = validation ? [] : undefined
    this.lr = scheduled ? [] : undefined
  }

  onEpochEnd(epoch: number, logs: EpochLogs): undefined {
    if (epoch !== this.loss.length) {
      throw new Error(`${this.who}: epoch ${epoch} reported after ${this.loss.length} epoch(s)`)
    }
    this.loss.push(logs.loss)
    this.valLoss?.push(logs.valLoss ?? Number.NaN)
    this.lr?.push(logs.lr ?? Number.NaN)
    return undefined
  }
}

/** Core's early-stopping rule, and the best epoch's weights when the run restores them. */
export class Stopping implements EpochCallback {
  readonly rule: EarlyStopping
  /** The weights of the last epoch the rule called best, when restoring them. */
  best: LayerWeights[] | null = null

  constructor(
    rule: EarlyStoppingRule | null,
    private readonly monitorVal: boolean,
    private readonly restoreBest: boolean,
  ) {
    this.rule = new EarlyStopping(rule)
  }

  async onEpochEnd(epoch: number, logs: EpochLogs, weights: () => Promise<LayerWeights[]>): Promise<boolean> {
    // A non-finite training loss is divergence whatever is monitored.
    const monitored = !Number.isFinite(logs.loss)
      ? Number.NaN
      : this.monitorVal
        ? (logs.valLoss ?? Number.NaN)
        : logs.loss
    const decision = this.rule.update(epoch, monitored)
    if (decision.snapshot && this.restoreBest) this.best = await weights()
    return decision.stop
  }
}

/** The error at the report inputs after each epoch, with the steps and training time so far. */
export class Quality implements EpochCallback {
  readonly error: number[] = []
  readonly ms: number[] = []
  readonly steps: number[] = []

  constructor(
    private readonly measure: (weights: LayerWeights[]) => number,
    private readonly stepsPerEpoch: number,
    private readonly trainingMs: () => number,
  ) {}

  async onEpochEnd(
    epoch: number,
    _logs: EpochLogs,
    weights: () => Promise<LayerWeights[]>,
  ): Promise<undefined> {
    this.ms.push(this.trainingMs())
    this.steps.push((epoch + 1) * this.stepsPerEpoch)
    this.error.push(this.measure(await weights()))
    return undefined
  }
}

/**
 * A classifier's accuracy after each epoch on the rows it trains on (and its validation rows), from
 * core's float64 forward pass over the backend's weights: no call into the backend mid-training.
 */
export class Accuracy implements EpochCallback {
  readonly train: number[] = []
  readonly validation: number[] | undefined

  constructor(
    private readonly layers: LayerSpec[],
    private readonly data: DataSplit,
    private readonly valData?: DataSplit,
  ) {
    this.validation = valData ? [] : undefined
  }

  async onEpochEnd(
    _epoch: number,
    _logs: EpochLogs,
    weights: () => Promise<LayerWeights[]>,
  ): Promise<undefined> {
    const model = { layers: this.layers, weights: await weights() }
    this.train.push(accuracyOf(model, this.data))
    if (this.valData) this.validation?.push(accuracyOf(model, this.valData))
    return undefined
  }
}

function accuracyOf(model: { layers: LayerSpec[]; weights: LayerWeights[] }, d: DataSplit): number {
  const probs = modelProbabilities(model.layers, forwardRows(model, d.x, d.n))
  let right = 0
  for (let r = 0; r < d.n; r++) if (argmaxRow(probs.p, probs.classes, r) === d.y[r]) right++
  return right / d.n
}

/**
 * One TrainHooks over the callbacks, each seeing every epoch in order; any of them may stop the
 * run. `trainingMs()` is the time since `start()` less the time spent in the callbacks: the
 * harness's own work (reading weights, measuring errors) is not training time.
 */
export function epochHooks(callbacks: EpochCallback[], signal?: AbortSignal) {
  let started = 0
  let inHooks = 0
  const hooks: TrainHooks = {
    async onEpochEnd(epoch, logs, weights) {
      const entered = performance.now()
      let fetched: Promise<LayerWeights[]> | null = null
      const once = () => {
        fetched ??= weights()
        return fetched
      }
      let stop = false
      try {
        for (const c of callbacks) if (await c.onEpochEnd(epoch, logs, once)) stop = true
      } finally {
        inHooks += performance.now() - entered
      }
      return stop ? 'stop' : 'continue'
    },
    ...(signal ? { signal } : {}),
  }
  return {
    hooks,
    start: () => {
      started = performance.now()
    },
    trainingMs: () => performance.now() - started - inHooks,
  }
}
