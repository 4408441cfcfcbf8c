/** The rule's answer for one epoch: stop now; this epoch is the best so far (worth a snapshot). */
export interface StopDecision {
  stop: boolean
  snapshot: boolean
}

export interface EarlyStoppingRule {
  patience: number
  minDelta: number
  baseline: number | null
  startFromEpoch: number
}

/**
 * The one early-stopping rule both styles obey, with Keras 3 semantics
 * (keras/src/callbacks/early_stopping.py, mode 'min'):
 *  - improvement: current < best - minDelta
 *  - wait += 1 each monitored epoch, reset to 0 on an improvement that also beats `baseline`
 *  - stop when wait >= patience; epochs before startFromEpoch are not monitored
 * Unlike Keras, a NaN or infinite value stops at once and marks the run diverged.
 * Without a rule (null) only the divergence check applies.
 */
export class EarlyStopping {
  best = Number.POSITIVE_INFINITY
  /** Epoch (from 0) of the best value, -1 before any. */
  bestEpoch = -1
  wait = 0
  /** Epoch (from 0) at which the rule stopped training, or null. */
  stoppedEpoch: number | null = null
  diverged = false

  constructor(private readonly rule: EarlyStoppingRule | null) {}

  update(epoch: number, value: number): StopDecision {
    if (!Number.isFinite(value)) {
      this.diverged = true
      this.stoppedEpoch = epoch
      return { stop: true, snapshot: false }
    }
    const rule = this.rule
    if (!rule || epoch < rule.startFromEpoch) return { stop: false, snapshot: false }
    this.wait += 1
    if (value < this.best - rule.minDelta) {
      this.best = value
      this.bestEpoch = epoch
      if (rule.baseline === null || value < rule.baseline - rule.minDelta) this.wait = 0
      return { stop: false, snapshot: true }
    }
    if (this.wait >= rule.patience) {
      this.stoppedEpoch = epoch
      return { stop: true, snapshot: false }
    }
    return { stop: false, snapshot: false }
  }
}
