/**
 * The optimizer family in each framework's formulas. A spec names an optimizer and its
 * hyperparameters; its init names a convention (keras, torch, tfjs) whose defaults and formulas
 * every backend then applies, or 'framework' (each backend its own). What differs, per the
 * frameworks' own sources:
 * - Adam's epsilon: PyTorch (torch/optim/adam.py) and TF.js (adam_optimizer.ts) add it to
 *   sqrt(v_hat); Keras (keras/src/optimizers/adam.py) to sqrt(v), the bias corrections folded into
 *   the step size (eps_hat = eps sqrt(1 - beta2^t)).
 * - RMSprop and Adagrad: PyTorch divides by sqrt(v) + eps (rmsprop.py, adagrad.py); Keras
 *   (rmsprop.py, adagrad.py) and TF.js (rmsprop_optimizer.ts, adagrad_optimizer.ts) by sqrt(v + eps).
 * - RMSprop's decay: PyTorch alpha 0.99, Keras and TF.js rho 0.9. Adagrad's accumulator starts at 0
 *   in PyTorch, 0.1 in Keras and TF.js. Default eps: PyTorch 1e-8 (Adagrad 1e-10), Keras 1e-7.
 * - Momentum: PyTorch (sgd.py) and TF.js (momentum_optimizer.ts) keep v = m v + g and step
 *   w -= lr v; Keras (sgd.py) keeps v = m v - lr g and steps w += v. Equal at a constant lr, apart
 *   once a schedule changes it. Nesterov: PyTorch steps by g + m v, Keras by m v - lr g after v.
 * - Weight decay: PyTorch's SGD/Adam/RMSprop/Adagrad add wd w to the gradient (L2); AdamW and every
 *   Keras 3 optimizer (optimizer.py, _apply_weight_decay) decay the weights: w -= lr wd w. AdamW's
 *   default wd: PyTorch 0.01, Keras 0.004.
 */
import type { InitConvention, OptimizerName, OptimizerSpec, ScheduleSpec } from './spec.js'

export type Convention = Exclude<InitConvention, 'framework'>
export type AdamEpsilon = 'sqrt(v_hat) + eps' | 'sqrt(v) + eps_hat'
export type RootEpsilon = 'sqrt(v) + eps' | 'sqrt(v + eps)'
export type MomentumForm = 'v = m v + g; w -= lr v' | 'v = m v - lr g; w += v'
export type DecayForm = 'decoupled' | 'gradient'

/** The formulas a convention applies; null fields under 'framework' are each backend's own. */
export interface Formula {
  convention: Convention
  adamEpsilon: AdamEpsilon
  rootEpsilon: RootEpsilon
  momentum: MomentumForm
  /** How weightDecay acts for every optimizer but AdamW (always decoupled). */
  weightDecay: DecayForm
}

const TORCH_MOMENTUM: MomentumForm = 'v = m v + g; w -= lr v'
const KERAS_MOMENTUM: MomentumForm = 'v = m v - lr g; w += v'

export const FORMULAS: Record<Convention, Formula> = {
  torch: {
    convention: 'torch',
    adamEpsilon: 'sqrt(v_hat) + eps',
    rootEpsilon: 'sqrt(v) + eps',
    momentum: TORCH_MOMENTUM,
    weightDecay: 'gradient',
  },
  keras: {
    convention: 'keras',
    adamEpsilon: 'sqrt(v) + eps_hat',
    rootEpsilon: 'sqrt(v + eps)',
    momentum: KERAS_MOMENTUM,
    weightDecay: 'decoupled',
  },
  // TF.js' own optimizers (tfjs-core/src/optimizers), with Keras' defaults; TF.js has no weight
  // decay of its own, so Keras' decoupled form.
  tfjs: {
    convention: 'tfjs',
    adamEpsilon: 'sqrt(v_hat) + eps',
    rootEpsilon: 'sqrt(v + eps)',
    momentum: TORCH_MOMENTUM,
    weightDecay: 'decoupled',
  },
}

/** What a backend's train(job) gets: every hyperparameter resolved (null: the framework's own). */
export interface TrainOptimizer {
  name: OptimizerName
  lr: number
  beta1: number
  beta2: number
  eps: number | null
  momentum: number
  nesterov: boolean
  rho: number | null
  centered: boolean
  initialAccumulator: number | null
  weightDecay: number | null
  /** null under init 'framework'. */
  formula: Formula | null
}

const DEFAULTS: Record<
  Convention,
  { eps: (name: OptimizerName) => number; rho: number; accumulator: number; adamw: number }
> = {
  torch: { eps: (name) => (name === 'adagrad' ? 1e-10 : 1e-8), rho: 0.99, accumulator: 0, adamw: 0.01 },
  keras: { eps: () => 1e-7, rho: 0.9, accumulator: 0.1, adamw: 0.004 },
  tfjs: { eps: () => 1e-7, rho: 0.9, accumulator: 0.1, adamw: 0.004 },
}

/** The convention's epsilon for an optimizer; null under 'framework' (the engine's own). */
export function defaultEps(init: InitConvention, name: OptimizerName): number | null {
  return init === 'framework' ? null : DEFAULTS[init].eps(name)
}

/** The optimizer a job runs: the spec's values (eps resolved by parseSpec), the convention's defaults for the rest. */
export function resolveOptimizer(o: OptimizerSpec, init: InitConvention): TrainOptimizer {
  const convention = init === 'framework' ? null : init
  const d = convention ? DEFAULTS[convention] : null
  return {
    name: o.name,
    lr: o.lr,
    beta1: o.beta1,
    beta2: o.beta2,
    eps: o.eps,
    momentum: o.momentum,
    nesterov: o.nesterov ?? false,
    rho: o.rho ?? d?.rho ?? null,
    centered: o.centered ?? false,
    initialAccumulator: o.initialAccumulator ?? d?.accumulator ?? null,
    weightDecay: o.weightDecay ?? (o.name === 'adamw' ? (d?.adamw ?? null) : 0),
    formula: convention ? FORMULAS[convention] : null,
  }
}

/**
 * A schedule as a job runs it, in a framework's semantics: 'torch' (torch.optim.lr_scheduler) or
 * 'keras' (keras.callbacks / keras.optimizers.schedules); null under init 'framework' (each
 * backend its own). They differ in:
 * - cosine: PyTorch's CosineAnnealingLR keeps following the cosine past tMax (back up towards lr0);
 *   Keras' CosineDecay holds minLr from tMax on.
 * - plateau: Keras' ReduceLROnPlateau counts an epoch as better when the loss drops by more than
 *   `threshold` (absolute, min_delta) and reduces after `patience` epochs without one; PyTorch's by
 *   a relative threshold (loss < best (1 - threshold)) and reduces after more than `patience`.
 * The lr set after epoch e applies from epoch e + 1; epoch 0 runs at the optimizer's lr.
 */
export type TrainSchedule = ScheduleSpec & { semantics: 'keras' | 'torch' | null }

export function resolveSchedule(s: ScheduleSpec | undefined, init: InitConvention): TrainSchedule | null {
  if (!s) return null
  return { ...s, semantics: init === 'framework' ? null : init === 'torch' ? 'torch' : 'keras' }
}

/**
 * The lr of each epoch under a schedule, given the training loss of the epochs before it: the
 * reference both semantics are checked against (the testkit), and the harness's record of a
 * backend's lr when it reports none.
 */
export function scheduledLr(
  lr0: number,
  s: ScheduleSpec,
  semantics: 'keras' | 'torch',
  losses: readonly number[],
): number[] {
  const out: number[] = []
  let lr = lr0
  let best = Number.POSITIVE_INFINITY
  let bad = 0
  let cooldown = 0
  for (let e = 0; e <= losses.length; e++) {
    if (s.name === 'step') lr = lr0 * s.gamma ** Math.floor(e / s.stepSize)
    else if (s.name === 'exponential') lr = lr0 * s.gamma ** e
    else if (s.name === 'cosine') {
      const t = semantics === 'keras' ? Math.min(e, s.tMax) : e
      lr = s.minLr + ((lr0 - s.minLr) * (1 + Math.cos((Math.PI * t) / s.tMax))) / 2
    }
    out.push(lr)
    const loss = losses[e]
    if (s.name !== 'plateau' || loss === undefined) continue
    if (semantics === 'keras') {
      // keras/src/callbacks/reduce_lr_on_plateau.py, on_epoch_end
      if (cooldown > 0) {
        cooldown--
        bad = 0
      }
      if (loss < best - s.threshold) {
        best = loss
        bad = 0
      } else if (cooldown === 0 && ++bad >= s.patience && lr > s.minLr) {
        lr = Math.max(lr * s.factor, s.minLr)
        cooldown = s.cooldown
        bad = 0
      }
    } else {
      // torch/optim/lr_scheduler.py, ReduceLROnPlateau.step (mode min, threshold_mode rel)
      if (loss < best * (1 - s.threshold)) {
        best = loss
        bad = 0
      } else bad++
      if (cooldown > 0) {
        cooldown--
        bad = 0
      }
      if (bad > s.patience) {
        const next = Math.max(lr * s.factor, s.minLr)
        if (lr - next > 1e-8) lr = next
        cooldown = s.cooldown
        bad = 0
      }
    }
  }
  return out.slice(0, Math.max(1, losses.length))
}
