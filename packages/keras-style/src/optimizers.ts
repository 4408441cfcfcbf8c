/**
 * The optimizer a job asks for, in the formulas of its convention (core's optimizers.ts): TF.js's own
 * optimizers (tf.train.*) where their formula is the one asked for, FormulaOptimizer for the rest,
 * and the learning-rate schedule as a fit callback.
 */
import {
  FORMULAS,
  type Formula,
  type MomentumForm,
  type TrainOptimizer,
  type TrainSchedule,
  type TrainSettings,
} from '@dualfit/core'
import * as tf from '@tensorflow/tfjs-core'
import * as tl from '@tensorflow/tfjs-layers'

/** TF.js' epsilon() on a float32 backend (backends/backend.js), every engine here: its optimizers' default eps. */
const TFJS_EPSILON = 1e-7
const TORCH_MOMENTUM = FORMULAS.torch.momentum
const KERAS_MOMENTUM = FORMULAS.keras.momentum

/** A TrainOptimizer with nothing left to the framework: formula null is TF.js' own (the 'tfjs' formulas). */
interface Resolved extends TrainOptimizer {
  eps: number
  rho: number
  initialAccumulator: number
  weightDecay: number
  formula: Formula
}

function resolve(o: TrainOptimizer): Resolved {
  return {
    ...o,
    eps: o.eps ?? TFJS_EPSILON,
    // tf.train.rmsprop's decay 0.9 (rmsprop_optimizer.js), tf.train.adagrad's 0.1 (adagrad_optimizer.js).
    rho: o.rho ?? 0.9,
    initialAccumulator: o.initialAccumulator ?? 0.1,
    // TF.js has no AdamW: Keras' default (keras/src/optimizers/adamw.py).
    weightDecay: o.weightDecay ?? 0.004,
    formula: o.formula ?? FORMULAS.tfjs,
  }
}

/**
 * RMSprop's momentum: PyTorch (rmsprop.py) keeps b = m b + g / d and steps w -= lr b; Keras
 * (rmsprop.py) and TF.js (rmsprop_optimizer.js) keep mom = m mom + lr g / d and step w -= mom, the
 * other form. SGD's is the formula's.
 */
function momentumForm(o: Resolved): MomentumForm {
  if (o.name === 'sgd') return o.formula.momentum
  return o.formula.convention === 'torch' ? TORCH_MOMENTUM : KERAS_MOMENTUM
}

/** AdamW always decouples; the others follow the formula (torch: added to the gradient). */
const decayForm = (o: Resolved) => (o.name === 'adamw' ? 'decoupled' : o.formula.weightDecay)

/**
 * One step of every formula in core's optimizers.ts, in float32 tensors; each variable's slots are
 * made at its first step (zeros, Adagrad's accumulator at its starting value).
 */
export class FormulaOptimizer extends tf.Optimizer {
  static className = 'FormulaOptimizer'
  learningRate: number
  private readonly slots = new Map<string, tf.Variable>()

  constructor(private readonly o: Resolved) {
    super()
    this.learningRate = o.lr
  }

  applyGradients(variableGradients: Parameters<tf.Optimizer['applyGradients']>[0]): void {
    const pairs = Array.isArray(variableGradients)
      ? variableGradients.map((v) => [v.name, v.tensor] as const)
      : Object.entries(variableGradients)
    const { weightDecay: wd } = this.o
    const decoupled = decayForm(this.o) === 'decoupled'
    const t = this.iterations + 1
    tf.tidy(() => {
      for (const [name, grad] of pairs) {
        if (!grad) continue
        const w = tf.engine().registeredVariables[name] as tf.Variable
        // Decoupled: w -= lr wd w before the update (keras/src/optimizers/base_optimizer.py
        // _apply_weight_decay; torch/optim/adamw.py). Gradient: g += wd w (torch/optim/sgd.py, adam.py, ...).
        const decayed = wd > 0 && decoupled ? tf.sub(w, tf.mul(w, this.learningRate * wd)) : w
        const g = wd > 0 && !decoupled ? tf.add(grad, tf.mul(w, wd)) : grad
        w.assign(tf.sub(decayed, this.step(name, w, g, t)))
      }
    })
    this.incrementIterations()
  }

  /** Slot `key` of the variable `name` (made at `start` on its first step) replaced by f(slot): the new value. */
  private advance(name: string, key: string, w: tf.Variable, f: (s: tf.Tensor) => tf.Tensor, start: number) {
    const id = `${name}/${key}`
    let s = this.slots.get(id)
    if (!s) {
      s = tf.tidy(() => tf.fill(w.shape, start).variable(false))
      this.slots.set(id, s)
    }
    const next = f(s)
    s.assign(next)
    return next
  }

  /** What step t takes off the weights w, given their gradient g. */
  private step(name: string, w: tf.Variable, g: tf.Tensor, t: number): tf.Tensor {
    const o = this.o
    const lr = this.learningRate
    const slot = (key: string, f: (s: tf.Tensor) => tf.Tensor, start = 0) =>
      this.advance(name, key, w, f, start)
    const { add, sub, mul, div, sqrt, square } = tf
    switch (o.name) {
      case 'sgd': {
        if (o.momentum === 0) return mul(g, lr)
        if (momentumForm(o) === TORCH_MOMENTUM) {
          // torch/optim/sgd.py: buf = m buf + g; w -= lr buf, nesterov w -= lr (g + m buf).
          const buf = slot('momentum', (v) => add(mul(v, o.momentum), g))
          return mul(o.nesterov ? add(g, mul(buf, o.momentum)) : buf, lr)
        }
        // keras/src/optimizers/sgd.py: v = m v - lr g; w += v, nesterov w += m v - lr g.
        const v = slot('momentum', (v) => sub(mul(v, o.momentum), mul(g, lr)))
        return tf.neg(o.nesterov ? sub(mul(v, o.momentum), mul(g, lr)) : v)
      }
      case 'adam':
      case 'adamw': {
        const m = slot('m', (m) => add(mul(m, o.beta1), mul(g, 1 - o.beta1)))
        const v = slot('v', (v) => add(mul(v, o.beta2), mul(square(g), 1 - o.beta2)))
        const [bc1, bc2] = [1 - o.beta1 ** t, 1 - o.beta2 ** t]
        // torch/optim/adam.py: denom = sqrt(v) / sqrt(bc2) + eps, w -= lr / bc1 m / denom.
        if (o.formula.adamEpsilon === 'sqrt(v_hat) + eps')
          return mul(div(m, add(div(sqrt(v), Math.sqrt(bc2)), o.eps)), lr / bc1)
        // keras/src/optimizers/adam.py: alpha = lr sqrt(bc2) / bc1, w -= alpha m / (sqrt(v) + eps).
        return div(mul(m, (lr * Math.sqrt(bc2)) / bc1), add(sqrt(v), o.eps))
      }
      case 'rmsprop': {
        const v = slot('v', (v) => add(mul(v, o.rho), mul(square(g), 1 - o.rho)))
        // Centered: v - a², a the running mean of g. TF.js subtracts eps there (sqrt(v - (a² + eps)),
        // rmsprop_optimizer.js) where TF and Keras add it: so centered always runs here.
        const centered = () => sub(v, square(slot('a', (a) => add(mul(a, o.rho), mul(g, 1 - o.rho)))))
        const d = this.root(o.centered ? centered() : v)
        if (o.momentum === 0) return div(mul(g, lr), d)
        if (momentumForm(o) === TORCH_MOMENTUM)
          return mul(
            slot('momentum', (b) => add(mul(b, o.momentum), div(g, d))),
            lr,
          )
        return slot('momentum', (b) => add(mul(b, o.momentum), div(mul(g, lr), d)))
      }
      case 'adagrad':
        return div(mul(g, lr), this.root(slot('accumulator', (a) => add(a, square(g)), o.initialAccumulator)))
    }
  }

  /** torch/optim/rmsprop.py, adagrad.py: sqrt(v) + eps; keras/src/optimizers/rmsprop.py, adagrad.py: sqrt(v + eps). */
  private root(v: tf.Tensor): tf.Tensor {
    const { eps, formula } = this.o
    return formula.rootEpsilon === 'sqrt(v) + eps' ? tf.add(tf.sqrt(v), eps) : tf.sqrt(tf.add(v, eps))
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...this.o, formula: { ...this.o.formula }, learningRate: this.learningRate }
  }

  override dispose(): void {
    super.dispose()
    tf.dispose([...this.slots.values()])
    this.slots.clear()
  }
}

/**
 * TF.js' own optimizer when its formula (tfjs-core/src/optimizers) is the one asked for, else null:
 * none decays weights; sgd_optimizer.js w -= lr g; momentum_optimizer.js accum = m accum + g, w -= lr
 * accum, nesterov w -= lr (g + m accum) (PyTorch's form); adam_optimizer.js adds eps to sqrt(v_hat);
 * rmsprop_optimizer.js divides by sqrt(v + eps) with Keras' momentum form (not centered: see above);
 * adagrad_optimizer.js by sqrt(acc + epsilon()), its eps fixed at the backend's.
 */
function tfjsOptimizer(o: Resolved, scheduled: boolean): tf.Optimizer | null {
  if (o.weightDecay > 0 || o.name === 'adamw') return null
  const f = o.formula
  switch (o.name) {
    case 'sgd':
      if (o.momentum === 0) return tf.train.sgd(o.lr)
      // Keras' form takes the same steps at a constant lr (its v is -lr accum): only a schedule parts them.
      return f.momentum === TORCH_MOMENTUM || !scheduled
        ? tf.train.momentum(o.lr, o.momentum, o.nesterov)
        : null
    case 'adam':
      return f.adamEpsilon === 'sqrt(v_hat) + eps' ? tf.train.adam(o.lr, o.beta1, o.beta2, o.eps) : null
    case 'rmsprop':
      return !o.centered && f.rootEpsilon === 'sqrt(v + eps)' && momentumForm(o) === KERAS_MOMENTUM
        ? tf.train.rmsprop(o.lr, o.rho, o.momentum, o.eps, false)
        : null
    case 'adagrad':
      return f.rootEpsilon === 'sqrt(v + eps)' && Math.fround(o.eps) === Math.fround(TFJS_EPSILON)
        ? tf.train.adagrad(o.lr, o.initialAccumulator)
        : null
  }
}

/** `scheduled`: the lr will change between steps. */
export function makeOptimizer(optimizer: TrainOptimizer, scheduled: boolean): tf.Optimizer {
  const o = resolve(optimizer)
  return tfjsOptimizer(o, scheduled) ?? new FormulaOptimizer(o)
}

/**
 * tf.train.sgd and momentum hold -lr as a tensor, replaced by setLearningRate (sgd_optimizer.js); the
 * rest read learningRate at each step. Asked by method: tf.Optimizer's Symbol.hasInstance
 * (optimizer.js) makes every optimizer an instanceof every optimizer class.
 */
function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  if ('setLearningRate' in optimizer) (optimizer as tf.SGDOptimizer).setLearningRate(lr)
  else (optimizer as unknown as { learningRate: number }).learningRate = lr
}

/** What makeOptimizer's optimizer and LrSchedule apply, stated setting by setting. */
export function optimizerSettings(
  optimizer: TrainOptimizer,
  schedule: TrainSchedule | null | undefined,
): Pick<TrainSettings, 'epsilon' | 'optimizer'> {
  const o = resolve(optimizer)
  const { name } = o
  const adam = name === 'adam' || name === 'adamw'
  const root = name === 'rmsprop' || name === 'adagrad'
  return {
    epsilon: adam ? { value: o.eps, placement: o.formula.adamEpsilon } : null,
    optimizer: {
      name,
      rootEpsilon: root ? { value: o.eps, placement: o.formula.rootEpsilon } : null,
      momentum:
        (name === 'sgd' || name === 'rmsprop') && o.momentum > 0
          ? { value: o.momentum, form: momentumForm(o), nesterov: o.nesterov }
          : null,
      rho: name === 'rmsprop' ? o.rho : null,
      centered: name === 'rmsprop' ? o.centered : null,
      initialAccumulator: name === 'adagrad' ? o.initialAccumulator : null,
      weightDecay: o.weightDecay > 0 ? { value: o.weightDecay, form: decayForm(o) } : null,
      schedule: schedule ? { name: schedule.name, semantics: schedule.semantics ?? 'keras' } : null,
    },
  }
}

/**
 * The schedule as a fit callback, in its semantics (null: Keras'): sets the optimizer's lr before
 * each epoch, as Keras' LearningRateScheduler does (keras/src/callbacks/learning_rate_scheduler.py);
 * plateau counts the epochs' training losses and sets the next epoch's lr.
 */
export class LrSchedule extends tl.Callback {
  /** The lr the current epoch runs at. */
  lr: number
  private next: number
  private best = Number.POSITIVE_INFINITY
  private bad = 0
  private cooldown = 0
  private readonly keras: boolean

  constructor(
    private readonly s: TrainSchedule,
    private readonly lr0: number,
    private readonly optimizer: tf.Optimizer,
  ) {
    super()
    this.lr = this.next = lr0
    this.keras = s.semantics !== 'torch'
  }

  override async onEpochBegin(epoch: number): Promise<void> {
    this.lr = this.at(epoch)
    setLearningRate(this.optimizer, this.lr)
  }

  /** Epoch e's lr: step/exponential/cosine in closed form, plateau what its counting set. */
  private at(e: number): number {
    const { s, lr0 } = this
    switch (s.name) {
      // torch/optim/lr_scheduler.py StepLR, ExponentialLR; Keras' ExponentialDecay per epoch
      // (decay_steps stepSize with staircase, or 1).
      case 'step':
        return lr0 * s.gamma ** Math.floor(e / s.stepSize)
      case 'exponential':
        return lr0 * s.gamma ** e
      case 'cosine': {
        // PyTorch's CosineAnnealingLR follows the cosine past tMax; Keras' CosineDecay
        // (keras/src/optimizers/schedules/learning_rate_schedule.py) holds minLr from tMax on.
        const t = this.keras ? Math.min(e, s.tMax) : e
        return s.minLr + ((lr0 - s.minLr) * (1 + Math.cos((Math.PI * t) / s.tMax))) / 2
      }
      case 'plateau':
        return this.next
    }
  }

  override async onEpochEnd(_epoch: number, logs?: Record<string, number | tf.Scalar>): Promise<void> {
    const { s } = this
    if (s.name !== 'plateau') return
    const l = logs?.loss
    const loss = typeof l === 'number' ? l : l ? ((await l.data())[0] as number) : Number.NaN
    if (this.keras) {
      // keras/src/callbacks/reduce_lr_on_plateau.py on_epoch_end: min_delta absolute, reduce once
      // `patience` epochs in a row failed to improve, nothing counted in cooldown.
      if (this.cooldown > 0) {
        this.cooldown--
        this.bad = 0
      }
      if (loss < this.best - s.threshold) {
        this.best = loss
        this.bad = 0
      } else if (this.cooldown === 0 && ++this.bad >= s.patience && this.lr > s.minLr) {
        this.next = Math.max(this.lr * s.factor, s.minLr)
        this.cooldown = s.cooldown
        this.bad = 0
      }
      return
    }
    // torch/optim/lr_scheduler.py ReduceLROnPlateau.step (mode min, threshold_mode rel): reduce after
    // more than `patience` bad epochs, bad epochs in cooldown ignored, changes under 1e-8 skipped.
    if (loss < this.best * (1 - s.threshold)) {
      this.best = loss
      this.bad = 0
    } else this.bad++
    if (this.cooldown > 0) {
      this.cooldown--
      this.bad = 0
    }
    if (this.bad > s.patience) {
      const reduced = Math.max(this.lr * s.factor, s.minLr)
      if (this.lr - reduced > 1e-8) this.next = reduced
      this.cooldown = s.cooldown
      this.bad = 0
    }
  }
}
