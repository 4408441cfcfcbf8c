/**
 * A float64 reference of what every backend computes: Dense forward, the regression and
 * classification losses (with layers' l2), their gradients, the optimizer family in each
 * convention's formulas (core's optimizers.ts states them with their sources) and the lr per epoch
 * under a schedule (core's scheduledLr). Small and direct on purpose, so that it is easy to trust;
 * backends compare their float32 results with it.
 */
import type {
  AdamEpsilon,
  DecayForm,
  Formula,
  LayerSpec,
  LossSpec,
  MomentumForm,
  OptimizerName,
  RootEpsilon,
  TrainJob,
  TrainOptimizer,
  TrainSchedule,
  TrainSettings,
} from '@dualfit/core'
import {
  batches,
  classificationLoss,
  defaultEps,
  FORMULAS,
  PROBABILITY_CLIP,
  scheduledLr,
} from '@dualfit/core'

/** Anything with Keras-layout weights: kernel [inputs, units] row-major. TrainedModel fits. */
export interface ReferenceModel {
  inputs: number
  layers: readonly LayerSpec[]
  weights: readonly { kernel: ArrayLike<number>; bias: ArrayLike<number> }[]
}

/** One layer's parameters (or gradients, or optimizer moments) in float64. */
export interface Weights64 {
  inputs: number
  units: number
  kernel: Float64Array
  bias: Float64Array
}

export interface OptimizerState {
  /** Steps taken so far. */
  t: number
  /** Adam's first moment, or SGD's and RMSprop's momentum buffer. */
  m: Weights64[]
  /** Adam's and RMSprop's second moment, Adagrad's accumulator. */
  v: Weights64[]
  /** Centered RMSprop's mean gradient. */
  a: Weights64[]
}

/** The formula choices the reference applies to one optimizer: a convention's, or what a backend declares. */
export interface ReferenceFormula {
  adamEpsilon: AdamEpsilon
  rootEpsilon: RootEpsilon
  /** SGD's momentum; RMSprop's too, where the torch form keeps lr outside the buffer and Keras' inside. */
  momentum: MomentumForm
  /** For every optimizer but AdamW (always decoupled). */
  weightDecay: DecayForm
}

const KERAS_MOMENTUM = FORMULAS.keras.momentum

/**
 * A convention's formulas for one optimizer: FORMULAS[convention], but RMSprop's momentum follows
 * Keras' form (mom = m mom + lr g / d; w -= mom) under tfjs too (tfjs-core
 * src/optimizers/rmsprop_optimizer.ts), while TF.js' own momentum optimizer keeps PyTorch's.
 */
export function conventionFormula(name: OptimizerName, formula: Formula): ReferenceFormula {
  const { adamEpsilon, rootEpsilon, weightDecay, convention } = formula
  const rmsprop = name === 'rmsprop' && convention !== 'torch'
  return { adamEpsilon, rootEpsilon, weightDecay, momentum: rmsprop ? KERAS_MOMENTUM : formula.momentum }
}

/** PyTorch's formulas: the reference's default. */
export const TORCH_FORMULA: ReferenceFormula = conventionFormula('adam', FORMULAS.torch)

/** The formula choices a backend's settings() declare, PyTorch's where a choice does not apply. */
export function claimedFormula(s: TrainSettings): ReferenceFormula {
  const o = s.optimizer
  return {
    adamEpsilon: s.epsilon?.placement ?? TORCH_FORMULA.adamEpsilon,
    rootEpsilon: o?.rootEpsilon?.placement ?? TORCH_FORMULA.rootEpsilon,
    momentum: o?.momentum?.form ?? TORCH_FORMULA.momentum,
    weightDecay: o?.weightDecay?.form ?? TORCH_FORMULA.weightDecay,
  }
}

/**
 * A loss as the reference computes it. `clip` overrides the probability clip the design gives the
 * loss (classification only): [1e-7, 1 - 1e-7] with fromLogits false, none with fromLogits true; the
 * settings check uses it to tell a backend that clips from one that does not.
 */
export type ReferenceLoss = LossSpec & { clip?: readonly [number, number] | null }

/** exp(z - max) / sum: the same values as exp(z) / sum, without overflow. */
function softmax(z: ArrayLike<number>): Float64Array {
  const max = Math.max(...Array.from(z))
  const e = Float64Array.from(z, (v) => Math.exp(v - max))
  const sum = e.reduce((a, b) => a + b, 0)
  return e.map((v) => v / sum)
}

/** Elementwise; softmax, which takes the whole row, is applied by activations() after it. */
function activate(name: LayerSpec['activation'], z: number): number {
  switch (name) {
    case 'relu':
      return Math.max(z, 0)
    case 'tanh':
      return Math.tanh(z)
    case 'sigmoid':
      return 1 / (1 + Math.exp(-z))
    default:
      return z
  }
}

/** d activation / dz, written in terms of the output a (relu' at 0 is 0, as in PyTorch and TF). */
function slope(name: LayerSpec['activation'], a: number): number {
  switch (name) {
    case 'relu':
      return a > 0 ? 1 : 0
    case 'tanh':
      return 1 - a * a
    case 'sigmoid':
      return a * (1 - a)
    default:
      return 1
  }
}

export function toWeights64(model: ReferenceModel): Weights64[] {
  let inputs = model.inputs
  return model.layers.map((layer, k) => {
    const w = model.weights[k]
    if (!w) throw new Error(`reference: no weights for layer ${k}`)
    const out = {
      inputs,
      units: layer.units,
      kernel: Float64Array.from(w.kernel),
      bias: Float64Array.from(w.bias),
    }
    if (out.kernel.length !== inputs * layer.units || out.bias.length !== layer.units)
      throw new Error(
        `reference: layer ${k} needs a [${inputs}, ${layer.units}] kernel and ${layer.units} biases`,
      )
    inputs = layer.units
    return out
  })
}

const zerosLike = (ws: readonly Weights64[]): Weights64[] =>
  ws.map((w) => ({ ...w, kernel: new Float64Array(w.kernel.length), bias: new Float64Array(w.bias.length) }))

/** Every layer's output for rows x [n, inputs]; the last one is the prediction. */
function activations(model: ReferenceModel, x: ArrayLike<number>): Float64Array[] {
  const ws = toWeights64(model)
  const n = x.length / model.inputs
  const outs: Float64Array[] = [Float64Array.from(x)]
  ws.forEach((w, k) => {
    const h = outs[k] as Float64Array
    const a = new Float64Array(n * w.units)
    const act = (model.layers[k] as LayerSpec).activation
    for (let r = 0; r < n; r++) {
      for (let u = 0; u < w.units; u++) {
        let z = w.bias[u] as number
        for (let i = 0; i < w.inputs; i++)
          z += (h[r * w.inputs + i] as number) * (w.kernel[i * w.units + u] as number)
        a[r * w.units + u] = activate(act, z)
      }
      if (act === 'softmax') a.set(softmax(a.subarray(r * w.units, (r + 1) * w.units)), r * w.units)
    }
    outs.push(a)
  })
  return outs
}

/** y [n, outputs] for rows x [n, inputs]. */
export function referenceForward(model: ReferenceModel, x: ArrayLike<number>): Float64Array {
  const outs = activations(model, x)
  return outs[outs.length - 1] as Float64Array
}

/**
 * Mean over all elements (PyTorch reduction='mean'; Keras' mean over outputs, then rows); under a
 * classification loss the mean over rows, pred holding each row's logits or probabilities and y
 * one class index per row.
 */
export function referenceLoss(loss: ReferenceLoss, pred: ArrayLike<number>, y: ArrayLike<number>): number {
  if (classificationLoss(loss.name)) return classify(loss, pred, y).loss
  let s = 0
  for (let i = 0; i < pred.length; i++) {
    const d = (pred[i] as number) - (y[i] as number)
    const a = Math.abs(d)
    if (loss.name === 'mse') s += d * d
    else if (loss.name === 'mae') s += a
    else s += a <= loss.delta ? 0.5 * d * d : loss.delta * (a - 0.5 * loss.delta)
  }
  return s / pred.length
}

function lossSlope(loss: LossSpec, d: number, count: number): number {
  if (loss.name === 'mse') return (2 * d) / count
  if (loss.name === 'mae') return Math.sign(d) / count
  return (Math.abs(d) <= loss.delta ? d : loss.delta * Math.sign(d)) / count
}

/**
 * A classification loss over rows and its gradient with respect to the last layer's
 * pre-activation z (the logits), as common to every backend:
 *  cross_entropy, logits:        logsumexp(z) - z[y]                  (PyTorch CrossEntropyLoss)
 *  binary_cross_entropy, logits: max(z, 0) - z t + log(1 + exp(-|z|)) (BCEWithLogitsLoss)
 *  with a clip [lo, hi] (Keras' from_logits=False, tfjs-layers losses.ts): p / sum(p) for softmax,
 *  -log(clip(p of the row's label)), clip's gradient 0 outside [lo, hi] (bounds included).
 * Either way dz = (p - onehot(y)) / rows where the label's p is inside the clip, else 0: the
 * softmax (sigmoid) Jacobian times d(-log p_y)/dp, whether the softmax sits in the model or the loss.
 */
function classify(
  loss: ReferenceLoss,
  out: ArrayLike<number>,
  y: ArrayLike<number>,
): { loss: number; dz: Float64Array } {
  const n = y.length
  const k = out.length / n
  const binary = loss.name === 'binary_cross_entropy'
  const logits = loss.fromLogits !== false
  const clip =
    loss.clip === undefined ? (logits ? null : [PROBABILITY_CLIP, 1 - PROBABILITY_CLIP]) : loss.clip
  const dz = new Float64Array(out.length)
  let sum = 0
  for (let r = 0; r < n; r++) {
    const row = Array.from({ length: k }, (_, j) => out[r * k + j] as number)
    const label = y[r] as number
    let p: number[]
    if (binary) p = [logits ? 1 / (1 + Math.exp(-(row[0] as number))) : (row[0] as number)]
    else if (logits) p = Array.from(softmax(row))
    else {
      const total = row.reduce((a, b) => a + b, 0)
      p = row.map((v) => v / total)
    }
    const target = (j: number) => (binary ? label : j === label ? 1 : 0)
    const pLabel = binary ? (label === 1 ? (p[0] as number) : 1 - (p[0] as number)) : (p[label] as number)
    if (clip) {
      sum -= Math.log(Math.min(Math.max(pLabel, clip[0]), clip[1]))
      if (pLabel < clip[0] || pLabel > clip[1]) continue
    } else if (!logits) sum -= Math.log(pLabel)
    else if (binary) {
      const z = row[0] as number
      sum += Math.max(z, 0) - z * label + Math.log1p(Math.exp(-Math.abs(z)))
    } else {
      const max = Math.max(...row)
      sum += max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)) - (row[label] as number)
    }
    p.forEach((pj, j) => {
      dz[r * k + j] = (pj - target(j)) / n
    })
  }
  return { loss: sum / n, dz }
}

/** The last layer's dL/dz: the loss's slope through the activation, or classify's closed form. */
function outputDelta(
  loss: ReferenceLoss,
  act: LayerSpec['activation'],
  pred: Float64Array,
  y: ArrayLike<number>,
) {
  if (classificationLoss(loss.name)) {
    const want =
      loss.fromLogits === false ? (loss.name === 'cross_entropy' ? 'softmax' : 'sigmoid') : 'linear'
    if (act !== want)
      throw new Error(
        `reference: ${loss.name} with fromLogits ${loss.fromLogits !== false} needs a '${want}' last layer, got '${act}'`,
      )
    return classify(loss, pred, y).dz
  }
  if (act === 'softmax')
    throw new Error(`reference: softmax is the last layer of cross_entropy only, not ${loss.name}`)
  return pred.map((p, i) => lossSlope(loss, p - (y[i] as number), pred.length) * slope(act, p))
}

/** The loss over rows x, y (with layers' l2 penalty) and its gradient with respect to every weight (backpropagation). */
export function referenceGradients(
  model: ReferenceModel,
  loss: ReferenceLoss,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
): { loss: number; grads: Weights64[] } {
  const ws = toWeights64(model)
  const outs = activations(model, x)
  const pred = outs[outs.length - 1] as Float64Array
  const n = x.length / model.inputs
  const grads = zerosLike(ws)
  const last = ws.length - 1
  let delta = outputDelta(loss, (model.layers[last] as LayerSpec).activation, pred, y)
  for (let k = last; k >= 0; k--) {
    const w = ws[k] as Weights64
    const g = grads[k] as Weights64
    const a = outs[k + 1] as Float64Array
    const h = outs[k] as Float64Array
    const act = (model.layers[k] as LayerSpec).activation
    // delta is dL/dz for the last layer, dL/da for the hidden ones.
    const dz = k === last ? delta : delta.map((d, i) => d * slope(act, a[i] as number))
    const dh = new Float64Array(n * w.inputs)
    for (let r = 0; r < n; r++)
      for (let u = 0; u < w.units; u++) {
        const d = dz[r * w.units + u] as number
        g.bias[u] = (g.bias[u] as number) + d
        for (let i = 0; i < w.inputs; i++) {
          g.kernel[i * w.units + u] =
            (g.kernel[i * w.units + u] as number) + (h[r * w.inputs + i] as number) * d
          dh[r * w.inputs + i] = (dh[r * w.inputs + i] as number) + (w.kernel[i * w.units + u] as number) * d
        }
      }
    delta = dh
  }
  ws.forEach((w, k) => {
    const l2 = (model.layers[k] as LayerSpec).l2 ?? 0
    const g = grads[k] as Weights64
    for (let i = 0; l2 > 0 && i < w.kernel.length; i++)
      g.kernel[i] = (g.kernel[i] as number) + 2 * l2 * (w.kernel[i] as number)
  })
  return { loss: referenceLoss(loss, pred, y) + l2Penalty(model.layers, ws), grads }
}

/** Keras' kernel_regularizer l2(λ) (keras/src/regularizers/regularizers.py): λ Σ kernel², summed over layers. */
function l2Penalty(layers: readonly LayerSpec[], ws: readonly { kernel: ArrayLike<number> }[]): number {
  let penalty = 0
  ws.forEach((w, k) => {
    const l2 = layers[k]?.l2 ?? 0
    for (let i = 0; i < w.kernel.length; i++) penalty += l2 * (w.kernel[i] as number) ** 2
  })
  return penalty
}

export interface StepOptions {
  /** Default: the convention of optimizer.formula, or PyTorch's when it is null. */
  formula?: ReferenceFormula
  /** This step's lr (a schedule's); default optimizer.lr. */
  lr?: number
}

const need = (value: number | null, field: string): number => {
  if (value === null)
    throw new Error(`reference: optimizer.${field} is null; pass the value the backend applies`)
  return value
}

/**
 * One optimizer step on the batch (x, y) in `formula`'s form (lr is the step's):
 *  decay     wd > 0: 'decoupled' (and AdamW) w -= lr wd w first; 'gradient' g += wd w
 *  sgd       torch: v = m v + g, w -= lr (nesterov ? g + m v : v)
 *            keras: v = m v - lr g, w += (nesterov ? m v - lr g : v)
 *  adam(w)   m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g²; 'sqrt(v_hat) + eps': w -= lr m_hat / (sqrt(v_hat) + eps);
 *            'sqrt(v) + eps_hat': w -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps)
 *  rmsprop   v = rho v + (1 - rho) g²; centered: a = rho a + (1 - rho) g, v~ = v - a²; d = sqrt(v~) + eps or
 *            sqrt(v~ + eps); momentum: torch b = m b + g / d, w -= lr b; keras mom = m mom + lr g / d, w -= mom
 *  adagrad   acc (from initialAccumulator) += g²; w -= lr g / d, d as RMSprop's
 * Returns new weights and state and the batch loss before the update; inputs are not modified.
 */
export function referenceStep(
  model: ReferenceModel,
  loss: ReferenceLoss,
  optimizer: TrainOptimizer,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  state?: OptimizerState,
  options: StepOptions = {},
): { weights: Weights64[]; loss: number; state: OptimizerState } {
  const { name, beta1, beta2, momentum, nesterov, centered } = optimizer
  const formula =
    options.formula ?? (optimizer.formula ? conventionFormula(name, optimizer.formula) : TORCH_FORMULA)
  const lr = options.lr ?? optimizer.lr
  const eps = optimizer.eps ?? (defaultEps('torch', name) as number)
  const wd = need(optimizer.weightDecay, 'weightDecay')
  const rho = name === 'rmsprop' ? need(optimizer.rho, 'rho') : 0
  const { loss: value, grads } = referenceGradients(model, loss, x, y)
  const weights = toWeights64(model)
  const copy = (ws: Weights64[]) => ws.map((w) => ({ ...w, kernel: w.kernel.slice(), bias: w.bias.slice() }))
  const accumulator = name === 'adagrad' ? need(optimizer.initialAccumulator, 'initialAccumulator') : 0
  const prev = state ?? {
    t: 0,
    m: zerosLike(weights),
    v: zerosLike(weights).map((w) => ({
      ...w,
      kernel: w.kernel.fill(accumulator),
      bias: w.bias.fill(accumulator),
    })),
    a: zerosLike(weights),
  }
  const next: OptimizerState = { t: prev.t + 1, m: copy(prev.m), v: copy(prev.v), a: copy(prev.a) }
  const [bc1, bc2] = [1 - beta1 ** next.t, 1 - beta2 ** next.t]
  const keras = formula.momentum === KERAS_MOMENTUM
  const root = (v: number) =>
    formula.rootEpsilon === 'sqrt(v) + eps' ? Math.sqrt(v) + eps : Math.sqrt(v + eps)
  const update = (p: Float64Array, grad: Float64Array, m: Float64Array, v: Float64Array, a: Float64Array) => {
    for (let i = 0; i < p.length; i++) {
      let g = grad[i] as number
      if (wd > 0 && (name === 'adamw' || formula.weightDecay === 'decoupled'))
        p[i] = (p[i] as number) - lr * wd * (p[i] as number)
      else g += wd * (p[i] as number)
      const [mi, vi, ai] = [m[i] as number, v[i] as number, a[i] as number]
      if (name === 'sgd') {
        m[i] = keras ? momentum * mi - lr * g : momentum * mi + g
        const mv = momentum * (m[i] as number)
        if (keras) p[i] = (p[i] as number) + (nesterov ? mv - lr * g : (m[i] as number))
        else p[i] = (p[i] as number) - lr * (nesterov ? g + mv : (m[i] as number))
      } else if (name === 'adam' || name === 'adamw') {
        m[i] = beta1 * mi + (1 - beta1) * g
        v[i] = beta2 * vi + (1 - beta2) * g * g
        p[i] =
          (p[i] as number) -
          (formula.adamEpsilon === 'sqrt(v_hat) + eps'
            ? (lr * ((m[i] as number) / bc1)) / (Math.sqrt((v[i] as number) / bc2) + eps)
            : ((lr * Math.sqrt(bc2)) / bc1) * ((m[i] as number) / (Math.sqrt(v[i] as number) + eps)))
      } else if (name === 'rmsprop') {
        v[i] = rho * vi + (1 - rho) * g * g
        if (centered) a[i] = rho * ai + (1 - rho) * g
        const d = root((v[i] as number) - (centered ? (a[i] as number) ** 2 : 0))
        if (momentum === 0) p[i] = (p[i] as number) - (lr * g) / d
        else if (keras) {
          m[i] = momentum * mi + (lr * g) / d
          p[i] = (p[i] as number) - (m[i] as number)
        } else {
          m[i] = momentum * mi + g / d
          p[i] = (p[i] as number) - lr * (m[i] as number)
        }
      } else {
        v[i] = vi + g * g
        p[i] = (p[i] as number) - (lr * g) / root(v[i] as number)
      }
    }
  }
  weights.forEach((w, k) => {
    const [g, m, v, a] = [grads[k], next.m[k], next.v[k], next.a[k]] as Weights64[] as [
      Weights64,
      Weights64,
      Weights64,
      Weights64,
    ]
    update(w.kernel, g.kernel, m.kernel, v.kernel, a.kernel)
    update(w.bias, g.bias, m.bias, v.bias, a.bias)
  })
  return { weights, loss: value, state: next }
}

/** The rows `idx` of a row-major [n, width] array. */
export function gather(data: ArrayLike<number>, width: number, idx: ArrayLike<number>): Float64Array {
  const out = new Float64Array(idx.length * width)
  for (let r = 0; r < idx.length; r++)
    for (let c = 0; c < width; c++) out[r * width + c] = data[(idx[r] as number) * width + c] as number
  return out
}

/**
 * What referenceTrain needs of a TrainJob; initial weights and order must be given, and a
 * schedule's semantics (the ones a backend declares, under init 'framework').
 */
export interface ReferenceJob
  extends Pick<TrainJob, 'optimizer' | 'epochs' | 'batchSize' | 'data' | 'validation' | 'schedule'> {
  loss: ReferenceLoss
  model: { inputs: number; layers: readonly LayerSpec[] }
  initialWeights: readonly { kernel: ArrayLike<number>; bias: ArrayLike<number> }[]
  order: (epoch: number) => ArrayLike<number>
  /** Default: optimizer.formula's convention, or PyTorch's when it is null (see referenceStep). */
  formula?: ReferenceFormula
}

export interface ReferenceRun {
  weights: Weights64[]
  /** Per epoch: each batch's loss before its update, averaged weighted by batch size. */
  losses: number[]
  /** Per epoch, on job.validation with the weights at the end of the epoch, l2 included (as Keras reports val_loss). */
  valLosses: number[]
  /** Per epoch: the lr it ran at. */
  lrs: number[]
  steps: number
}

/** The lr of epoch `epoch` given the losses of the epochs before it (core's scheduledLr). */
function epochLr(
  optimizer: TrainOptimizer,
  schedule: TrainSchedule | null | undefined,
  losses: number[],
): number {
  if (!schedule) return optimizer.lr
  if (schedule.semantics === null)
    throw new Error('reference: schedule.semantics is null; pass the semantics the backend applies')
  // scheduledLr gives one lr per loss; the placeholder loss stands for the epoch about to run.
  return scheduledLr(optimizer.lr, schedule, schedule.semantics, [...losses, 0])[losses.length] as number
}

/** Training as the contract describes it: order(epoch) cut into consecutive batches, one step each, at the epoch's lr. */
export function referenceTrain(job: ReferenceJob): ReferenceRun {
  const { inputs, layers } = job.model
  const { data } = job
  let weights: Weights64[] = toWeights64({ inputs, layers, weights: job.initialWeights })
  let state: OptimizerState | undefined
  const run: ReferenceRun = { weights, losses: [], valLosses: [], lrs: [], steps: 0 }
  for (let epoch = 0; epoch < job.epochs; epoch++) {
    const lr = epochLr(job.optimizer, job.schedule, run.losses)
    run.lrs.push(lr)
    let sum = 0
    for (const batch of batches(Uint32Array.from(job.order(epoch)), job.batchSize)) {
      const x = gather(data.x, data.inputs, batch)
      const y = gather(data.y, data.outputs, batch)
      const step = referenceStep({ inputs, layers, weights }, job.loss, job.optimizer, x, y, state, {
        lr,
        ...(job.formula ? { formula: job.formula } : {}),
      })
      weights = step.weights
      state = step.state
      sum += step.loss * batch.length
      run.steps++
    }
    run.losses.push(sum / data.n)
    if (job.validation) {
      const pred = referenceForward({ inputs, layers, weights }, job.validation.x)
      run.valLosses.push(referenceLoss(job.loss, pred, job.validation.y) + l2Penalty(layers, weights))
    }
  }
  run.weights = weights
  return run
}

/** max |a - b| / max(max |b|, floor): one number per tensor, so near-zero entries do not explode. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  let num = 0
  let den = floor
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs((a[i] as number) - (b[i] as number)))
    den = Math.max(den, Math.abs(b[i] as number))
  }
  return Number.isNaN(num) || a.length !== b.length ? Number.POSITIVE_INFINITY : num / den
}
