/**
 * torch.optim.lr_scheduler's epoch schedules (torch/optim/lr_scheduler.py, 1.13): call step() after
 * each epoch (ReduceLROnPlateau: step(loss) with the epoch's loss) and it sets optimizer.lr for the
 * next one. The lr comes from the closed forms (PyTorch's _get_closed_form_lr), which PyTorch's
 * chained products equal to float64 rounding. `semantics: 'keras'` gives Keras' counterpart where it
 * differs: CosineDecay holds minLr past tMax (keras/src/optimizers/schedules/learning_rate_schedule.py)
 * and ReduceLROnPlateau counts as keras/src/callbacks/reduce_lr_on_plateau.py does.
 */
import type { Optimizer } from './optim.js'

export type Semantics = 'torch' | 'keras'

/** A schedule that depends on the epoch alone. */
export abstract class LRScheduler {
  /** Epochs stepped so far: the epoch the optimizer's lr is now for. */
  lastEpoch = 0
  /** The optimizer's lr when the scheduler was made (PyTorch's base_lrs[0]). */
  readonly baseLr: number

  constructor(readonly optimizer: Optimizer) {
    this.baseLr = optimizer.lr
  }

  step(): void {
    this.lastEpoch++
    this.optimizer.lr = this.lrAt(this.lastEpoch)
  }

  protected abstract lrAt(epoch: number): number
}

/** lr0 gamma^floor(epoch / stepSize). */
export class StepLR extends LRScheduler {
  readonly stepSize: number
  readonly gamma: number

  constructor(optimizer: Optimizer, { stepSize, gamma = 0.1 }: { stepSize: number; gamma?: number }) {
    super(optimizer)
    this.stepSize = stepSize
    this.gamma = gamma
  }

  protected lrAt(epoch: number): number {
    return this.baseLr * this.gamma ** Math.floor(epoch / this.stepSize)
  }
}

/** lr0 gamma^epoch. */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number

  constructor(optimizer: Optimizer, { gamma }: { gamma: number }) {
    super(optimizer)
    this.gamma = gamma
  }

  protected lrAt(epoch: number): number {
    return this.baseLr * this.gamma ** epoch
  }
}

/** etaMin + (lr0 - etaMin) (1 + cos(pi t / tMax)) / 2; t = epoch (torch: back up past tMax) or min(epoch, tMax) (keras). */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number
  readonly etaMin: number
  readonly semantics: Semantics

  constructor(
    optimizer: Optimizer,
    { tMax, etaMin = 0, semantics = 'torch' }: { tMax: number; etaMin?: number; semantics?: Semantics },
  ) {
    super(optimizer)
    this.tMax = tMax
    this.etaMin = etaMin
    this.semantics = semantics
  }

  protected lrAt(epoch: number): number {
    const t = this.semantics === 'keras' ? Math.min(epoch, this.tMax) : epoch
    return this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * t) / this.tMax))) / 2
  }
}

export interface PlateauOptions {
  factor?: number
  patience?: number
  /** torch: relative (threshold_mode 'rel'); keras: absolute (min_delta). */
  threshold?: number
  cooldown?: number
  minLr?: number
  semantics?: Semantics
}

/** Multiplies lr by factor when the loss (mode 'min') stops improving. */
export class ReduceLROnPlateau {
  readonly factor: number
  readonly patience: number
  readonly threshold: number
  readonly cooldown: number
  readonly minLr: number
  readonly semantics: Semantics
  best = Number.POSITIVE_INFINITY
  /** Bad epochs counted (torch's num_bad_epochs, Keras' wait). */
  bad = 0
  cooldownCounter = 0

  constructor(
    readonly optimizer: Optimizer,
    {
      factor = 0.1,
      patience = 10,
      threshold = 1e-4,
      cooldown = 0,
      minLr = 0,
      semantics = 'torch',
    }: PlateauOptions = {},
  ) {
    this.factor = factor
    this.patience = patience
    this.threshold = threshold
    this.cooldown = cooldown
    this.minLr = minLr
    this.semantics = semantics
  }

  step(loss: number): void {
    if (this.semantics === 'keras') this.kerasStep(loss)
    else this.torchStep(loss)
  }

  /** ReduceLROnPlateau.step: more than `patience` bad epochs, a relative threshold; lr changes by more than eps 1e-8 only. */
  private torchStep(loss: number): void {
    if (loss < this.best * (1 - this.threshold)) {
      this.best = loss
      this.bad = 0
    } else this.bad++
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--
      this.bad = 0
    }
    if (this.bad > this.patience) {
      const lr = this.optimizer.lr
      const next = Math.max(lr * this.factor, this.minLr)
      if (lr - next > 1e-8) this.optimizer.lr = next
      this.cooldownCounter = this.cooldown
      this.bad = 0
    }
  }

  /** on_epoch_end: `patience` bad epochs outside cooldown, an absolute min_delta; only while lr > minLr. */
  private kerasStep(loss: number): void {
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--
      this.bad = 0
    }
    if (loss < this.best - this.threshold) {
      this.best = loss
      this.bad = 0
    } else if (this.cooldownCounter === 0 && ++this.bad >= this.patience && this.optimizer.lr > this.minLr) {
      this.optimizer.lr = Math.max(this.optimizer.lr * this.factor, this.minLr)
      this.cooldownCounter = this.cooldown
      this.bad = 0
    }
  }
}
