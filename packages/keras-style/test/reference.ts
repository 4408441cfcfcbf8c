/**
 * A float64 reference of full-batch training of Dense(1) under MSE (+ l2 on the kernel), written from
 * the formulas of core's optimizers.ts one scalar at a time, independently of src/optimizers.ts.
 */
import type {
  AdamEpsilon,
  DataSplit,
  DecayForm,
  MomentumForm,
  OptimizerName,
  RootEpsilon,
  TrainOptimizer,
  TrainSettings,
} from '@dualfit/core'

export interface Reference {
  /** [kernel, bias] after the last step. */
  weights: [number, number]
  /** Each step's loss before its update, the l2 penalty included. */
  losses: number[]
}

/** An optimizer with every formula choice spelled out: what a backend's settings() claims. */
export interface ReferenceOptimizer {
  name: OptimizerName
  beta1: number
  beta2: number
  eps: number
  adamEpsilon?: AdamEpsilon
  rootEpsilon?: RootEpsilon
  momentum: number
  momentumForm?: MomentumForm
  nesterov: boolean
  rho: number
  centered: boolean
  initialAccumulator: number
  weightDecay: number
  decay?: DecayForm
}

/** The optimizer that `settings` says train(job) applies. */
export function claimed(o: TrainOptimizer, s: TrainSettings): ReferenceOptimizer {
  const c = s.optimizer
  if (!c) throw new Error('settings() states no optimizer block')
  return {
    name: o.name,
    beta1: o.beta1,
    beta2: o.beta2,
    eps: s.epsilon?.value ?? c.rootEpsilon?.value ?? Number.NaN,
    adamEpsilon: s.epsilon?.placement,
    rootEpsilon: c.rootEpsilon?.placement,
    momentum: c.momentum?.value ?? 0,
    momentumForm: c.momentum?.form,
    nesterov: c.momentum?.nesterov ?? false,
    rho: c.rho ?? Number.NaN,
    centered: c.centered ?? false,
    initialAccumulator: c.initialAccumulator ?? Number.NaN,
    weightDecay: c.weightDecay?.value ?? 0,
    decay: c.weightDecay?.form,
  }
}

/** Step e runs at lrs[e], from the weights `start`. */
export function referenceTrain(
  o: ReferenceOptimizer,
  lrs: readonly number[],
  data: DataSplit,
  start: [number, number],
  l2 = 0,
): Reference {
  const { eps, rho, weightDecay: wd } = o
  const decoupled = o.decay === 'decoupled'
  const lrInside = o.momentumForm === 'v = m v - lr g; w += v'
  const root = (v: number) => (o.rootEpsilon === 'sqrt(v) + eps' ? Math.sqrt(v) + eps : Math.sqrt(v + eps))
  const p = [...start]
  const zeros = () => [0, 0]
  const [m, v, a, mom] = [zeros(), zeros(), zeros(), zeros()]
  const acc = [o.initialAccumulator, o.initialAccumulator]
  const losses: number[] = []
  const { n } = data
  lrs.forEach((lr, step) => {
    const t = step + 1
    const [w, b] = p as [number, number]
    const err = Array.from(data.x, (x, i) => w * x + b - (data.y[i] as number))
    losses.push(err.reduce((s, e) => s + e * e, 0) / n + l2 * w * w)
    const grads = [
      err.reduce((s, e, i) => s + (2 * e * (data.x[i] as number)) / n, 0) + 2 * l2 * w,
      err.reduce((s, e) => s + (2 * e) / n, 0),
    ]
    for (let i = 0; i < 2; i++) {
      let g = grads[i] as number
      let x = p[i] as number
      if (wd > 0) {
        if (decoupled) x -= lr * wd * x
        else g += wd * x
      }
      switch (o.name) {
        case 'sgd':
          if (o.momentum === 0) x -= lr * g
          else if (lrInside) {
            mom[i] = o.momentum * (mom[i] as number) - lr * g
            x += o.nesterov ? o.momentum * (mom[i] as number) - lr * g : (mom[i] as number)
          } else {
            mom[i] = o.momentum * (mom[i] as number) + g
            x -= lr * (o.nesterov ? g + o.momentum * (mom[i] as number) : (mom[i] as number))
          }
          break
        case 'adam':
        case 'adamw': {
          m[i] = o.beta1 * (m[i] as number) + (1 - o.beta1) * g
          v[i] = o.beta2 * (v[i] as number) + (1 - o.beta2) * g * g
          const [bc1, bc2] = [1 - o.beta1 ** t, 1 - o.beta2 ** t]
          x -=
            o.adamEpsilon === 'sqrt(v_hat) + eps'
              ? (lr * ((m[i] as number) / bc1)) / (Math.sqrt((v[i] as number) / bc2) + eps)
              : ((lr * Math.sqrt(bc2)) / bc1) * ((m[i] as number) / (Math.sqrt(v[i] as number) + eps))
          break
        }
        case 'rmsprop': {
          v[i] = rho * (v[i] as number) + (1 - rho) * g * g
          a[i] = rho * (a[i] as number) + (1 - rho) * g
          const d = root(o.centered ? (v[i] as number) - (a[i] as number) ** 2 : (v[i] as number))
          if (o.momentum === 0) x -= (lr * g) / d
          else if (lrInside) {
            mom[i] = o.momentum * (mom[i] as number) + (lr * g) / d
            x -= mom[i] as number
          } else {
            mom[i] = o.momentum * (mom[i] as number) + g / d
            x -= lr * (mom[i] as number)
          }
          break
        }
        case 'adagrad':
          acc[i] = (acc[i] as number) + g * g
          x -= (lr * g) / root(acc[i] as number)
          break
      }
      p[i] = x
    }
  })
  return { weights: p as [number, number], losses }
}
