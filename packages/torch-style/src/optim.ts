/**
 * PyTorch's optimizers (torch/optim/*.py, 1.13), updating parameters in place in TypeScript: for
 * the small models dualfit trains this costs well under a microsecond, less than one more ONNX node
 * would. Arithmetic is float64, state and parameters are stored as float32, as PyTorch stores them.
 * `formula` (default PyTorch's, core's FORMULAS.torch) switches an optimizer to Keras' or TF.js'
 * form of it where they differ; core's optimizers.ts states every formula and its source.
 */
import { type DecayForm, FORMULAS, type Formula, type MomentumForm, UserError } from '@dualfit/core'
import type { Parameter } from './tensor.js'

const TORCH_MOMENTUM = FORMULAS.torch.momentum

/** What every optimizer takes besides its own hyperparameters. */
export interface OptimizerOptions {
  lr?: number
  /** Default 0 (AdamW 0.01); acts as `formula.weightDecay` says, AdamW's always decoupled. */
  weightDecay?: number
  formula?: Formula
}

export abstract class Optimizer {
  /** The lr of the next step: PyTorch's param_groups[0]['lr'], which the lr schedulers set. */
  lr: number
  readonly weightDecay: number
  readonly formula: Formula

  constructor(
    readonly params: Parameter[],
    { lr, weightDecay = 0, formula = FORMULAS.torch }: OptimizerOptions & { lr: number },
  ) {
    this.lr = lr
    this.weightDecay = weightDecay
    this.formula = formula
  }

  /** How weightDecay acts. */
  get decayForm(): DecayForm {
    return this.formula.weightDecay
  }

  /** Drops the gradients (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null
  }

  step(): void {
    // L2 in the gradient (torch's SGD, Adam, RMSprop, Adagrad): g + gradDecay w in the update loops.
    const decoupled = this.decayForm === 'decoupled'
    const gradDecay = decoupled ? 0 : this.weightDecay
    if (decoupled && this.weightDecay > 0) this.decay()
    this.begin()
    // A plain loop with locals, not forEach: a callback reads these through its closure at every
    // element, which cost a third more per step on a 1-64-64-1 MLP at batch 32.
    for (let k = 0; k < this.params.length; k++) {
      const p = this.params[k] as Parameter
      const g = p.grad?.data
      if (g) this.update(k, p.data, g, gradDecay)
    }
  }

  /**
   * Decoupled decay, before the update and as its own float32 operation, as both frameworks do it:
   * torch's adamw.py param.mul_(1 - lr wd) multiplies by that factor in float32; Keras 3's
   * optimizer.py _apply_weight_decay assigns w - w wd lr. In float64 with the update, the factor's
   * float32 rounding, the same every step, parted AdamW from PyTorch by 3e-5 over 1,300 steps.
   */
  private decay(): void {
    const torch = this.formula.weightDecay === 'gradient'
    const keep = Math.fround(1 - this.lr * this.weightDecay)
    const rate = Math.fround(this.lr * this.weightDecay)
    for (const p of this.params) {
      if (!p.grad) continue
      const w = p.data
      if (torch) for (let i = 0; i < w.length; i++) w[i] = (w[i] as number) * keep
      else for (let i = 0; i < w.length; i++) w[i] = (w[i] as number) - Math.fround((w[i] as number) * rate)
    }
  }

  /** Once per step, before the parameters' updates. */
  protected begin(): void {}

  /** Updates parameter k's values w in place from its gradient g. */
  protected abstract update(k: number, w: Float32Array, g: Float32Array, gradDecay: number): void
}

export interface SGDOptions extends OptimizerOptions {
  lr: number
  momentum?: number
  nesterov?: boolean
}

/**
 * torch.optim.SGD (dampening 0; sgd.py): buf = m buf + g, starting at the first gradient, and
 * w -= lr buf, or w -= lr (g + m buf) with nesterov. Keras' form (keras/src/optimizers/sgd.py):
 * v = m v - lr g from 0, w += v, or w += m v - lr g with nesterov.
 */
export class SGD extends Optimizer {
  readonly momentum: number
  readonly nesterov: boolean
  private readonly buf: (Float32Array | null)[]

  constructor(params: Parameter[], { momentum = 0, nesterov = false, ...o }: SGDOptions) {
    super(params, o)
    if (nesterov && momentum <= 0) throw new UserError('SGD: nesterov needs a momentum > 0')
    this.momentum = momentum
    this.nesterov = nesterov
    this.buf = params.map(() => null)
  }

  get momentumForm(): MomentumForm {
    return this.formula.momentum
  }

  protected update(k: number, w: Float32Array, g: Float32Array, gradDecay: number): void {
    const { lr, momentum: mu, nesterov } = this
    if (mu === 0) {
      for (let i = 0; i < w.length; i++) {
        const wi = w[i] as number
        w[i] = wi - lr * ((g[i] as number) + gradDecay * wi)
      }
      return
    }
    const first = !this.buf[k]
    const buf = this.buf[k] ?? new Float32Array(w.length)
    this.buf[k] = buf
    const torch = this.momentumForm === TORCH_MOMENTUM
    for (let i = 0; i < w.length; i++) {
      const wi = w[i] as number
      const gi = (g[i] as number) + gradDecay * wi
      if (torch) {
        buf[i] = first ? gi : mu * (buf[i] as number) + gi
        const b = buf[i] as number
        w[i] = wi - lr * (nesterov ? gi + mu * b : b)
      } else {
        buf[i] = mu * (buf[i] as number) - lr * gi
        const v = buf[i] as number
        w[i] = wi + (nesterov ? mu * v - lr * gi : v)
      }
    }
  }
}

export interface AdamOptions extends OptimizerOptions {
  betas?: [number, number]
  eps?: number
}

/**
 * torch.optim.Adam (no amsgrad; adam.py): eps added to the bias-corrected sqrt(v_hat). Under
 * formula.adamEpsilon 'sqrt(v) + eps_hat', Keras' (keras/src/optimizers/adam.py): the corrections
 * folded into the step size, w -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps).
 */
export class Adam extends Optimizer {
  static readonly defaultEps = 1e-8
  readonly betas: [number, number]
  readonly eps: number
  private t = 0
  private readonly m: Float32Array[]
  private readonly v: Float32Array[]

  constructor(
    params: Parameter[],
    { lr = 1e-3, betas = [0.9, 0.999], eps = Adam.defaultEps, ...o }: AdamOptions = {},
  ) {
    super(params, { ...o, lr })
    this.betas = betas
    this.eps = eps
    this.m = params.map((p) => new Float32Array(p.data.length))
    this.v = params.map((p) => new Float32Array(p.data.length))
  }

  protected override begin(): void {
    this.t++
  }

  protected update(k: number, w: Float32Array, g: Float32Array, gradDecay: number): void {
    const [b1, b2] = this.betas
    const { eps, t } = this
    const m = this.m[k] as Float32Array
    const v = this.v[k] as Float32Array
    const vHat = this.formula.adamEpsilon === 'sqrt(v_hat) + eps'
    // w -= stepSize m / (sqrt(v) / vScale + eps): PyTorch's with vScale sqrt(1 - b2^t), Keras' with 1.
    const stepSize = vHat ? this.lr / (1 - b1 ** t) : (this.lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t)
    const vScale = vHat ? Math.sqrt(1 - b2 ** t) : 1
    for (let i = 0; i < w.length; i++) {
      const wi = w[i] as number
      const gi = (g[i] as number) + gradDecay * wi
      m[i] = (m[i] as number) + (1 - b1) * (gi - (m[i] as number)) // exp_avg.lerp_(grad, 1 - beta1)
      v[i] = b2 * (v[i] as number) + (1 - b2) * gi * gi
      // The update reads the stored (float32) moments, as PyTorch's does.
      w[i] = wi - (stepSize * (m[i] as number)) / (Math.sqrt(v[i] as number) / vScale + eps)
    }
  }
}

/** torch.optim.AdamW (adamw.py): w -= lr wd w (always decoupled), then Adam's step; wd default 0.01. */
export class AdamW extends Adam {
  static readonly defaultWeightDecay = 0.01

  constructor(params: Parameter[], { weightDecay = AdamW.defaultWeightDecay, ...o }: AdamOptions = {}) {
    super(params, { ...o, weightDecay })
  }

  override get decayForm(): DecayForm {
    return 'decoupled'
  }
}

export interface RMSpropOptions extends OptimizerOptions {
  alpha?: number
  eps?: number
  momentum?: number
  centered?: boolean
}

/**
 * torch.optim.RMSprop (rmsprop.py): v = alpha v + (1 - alpha) g², centered: a = alpha a +
 * (1 - alpha) g and v~ = v - a²; d = sqrt(v~) + eps, or sqrt(v~ + eps) under formula.rootEpsilon
 * 'sqrt(v + eps)' (Keras, TF.js). Momentum: PyTorch's buf = m buf + g / d, w -= lr buf; Keras'
 * (rmsprop.py) and TF.js' (rmsprop_optimizer.ts) keep lr inside, mom = m mom + lr g / d, w -= mom.
 */
export class RMSprop extends Optimizer {
  static readonly defaultEps = 1e-8
  static readonly defaultAlpha = 0.99
  readonly alpha: number
  readonly eps: number
  readonly momentum: number
  readonly centered: boolean
  private readonly square: Float32Array[]
  private readonly mean: Float32Array[]
  private readonly buf: Float32Array[]

  constructor(
    params: Parameter[],
    {
      lr = 1e-2,
      alpha = RMSprop.defaultAlpha,
      eps = RMSprop.defaultEps,
      momentum = 0,
      centered = false,
      ...o
    }: RMSpropOptions = {},
  ) {
    super(params, { ...o, lr })
    this.alpha = alpha
    this.eps = eps
    this.momentum = momentum
    this.centered = centered
    const zeros = () => params.map((p) => new Float32Array(p.data.length))
    this.square = zeros()
    this.mean = centered ? zeros() : []
    this.buf = momentum > 0 ? zeros() : []
  }

  /** TF.js' RMSprop keeps lr inside its moment as Keras does, though its SGD momentum is PyTorch's. */
  get momentumForm(): MomentumForm {
    return this.formula.convention === 'torch' ? TORCH_MOMENTUM : FORMULAS.keras.momentum
  }

  protected update(k: number, w: Float32Array, g: Float32Array, gradDecay: number): void {
    const { lr, alpha, eps, momentum: mu } = this
    const sq = this.square[k] as Float32Array
    const mean = this.mean[k]
    const buf = this.buf[k]
    const outside = this.formula.rootEpsilon === 'sqrt(v) + eps'
    const lrInside = this.momentumForm !== TORCH_MOMENTUM
    for (let i = 0; i < w.length; i++) {
      const wi = w[i] as number
      const gi = (g[i] as number) + gradDecay * wi
      sq[i] = alpha * (sq[i] as number) + (1 - alpha) * gi * gi
      let v = sq[i] as number
      if (mean) {
        mean[i] = alpha * (mean[i] as number) + (1 - alpha) * gi
        v -= (mean[i] as number) ** 2
      }
      const d = outside ? Math.sqrt(v) + eps : Math.sqrt(v + eps)
      if (!buf) w[i] = wi - (lr * gi) / d
      else if (lrInside) {
        buf[i] = mu * (buf[i] as number) + (lr * gi) / d
        w[i] = wi - (buf[i] as number)
      } else {
        buf[i] = mu * (buf[i] as number) + gi / d
        w[i] = wi - lr * (buf[i] as number)
      }
    }
  }
}

export interface AdagradOptions extends OptimizerOptions {
  eps?: number
  initialAccumulatorValue?: number
}

/**
 * torch.optim.Adagrad (lr_decay 0; adagrad.py): acc starts at initialAccumulatorValue, acc += g²,
 * w -= lr g / (sqrt(acc) + eps); Keras (adagrad.py) and TF.js (adagrad_optimizer.ts) divide by
 * sqrt(acc + eps) (formula.rootEpsilon).
 */
export class Adagrad extends Optimizer {
  static readonly defaultEps = 1e-10
  readonly eps: number
  readonly initialAccumulatorValue: number
  private readonly acc: Float32Array[]

  constructor(
    params: Parameter[],
    { lr = 1e-2, eps = Adagrad.defaultEps, initialAccumulatorValue = 0, ...o }: AdagradOptions = {},
  ) {
    super(params, { ...o, lr })
    this.eps = eps
    this.initialAccumulatorValue = initialAccumulatorValue
    this.acc = params.map((p) => new Float32Array(p.data.length).fill(initialAccumulatorValue))
  }

  protected update(k: number, w: Float32Array, g: Float32Array, gradDecay: number): void {
    const { lr, eps } = this
    const acc = this.acc[k] as Float32Array
    const outside = this.formula.rootEpsilon === 'sqrt(v) + eps'
    for (let i = 0; i < w.length; i++) {
      const wi = w[i] as number
      const gi = (g[i] as number) + gradDecay * wi
      acc[i] = (acc[i] as number) + gi * gi
      const a = acc[i] as number
      w[i] = wi - (lr * gi) / (outside ? Math.sqrt(a) + eps : Math.sqrt(a + eps))
    }
  }
}
