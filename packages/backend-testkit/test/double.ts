/**
 * A test double written independently of src/reference.ts: float32 arithmetic, weights kept
 * internally as [units, inputs] (PyTorch's layout) and transposed at the edges. Each fault flag
 * breaks one rule of the contract, to show that the matching check catches it.
 */
import type {
  AdamEpsilon,
  Backend,
  Engine,
  EpochLogs,
  LayerSpec,
  LayerWeights,
  LossSpec,
  MomentumForm,
  RootEpsilon,
  TrainedModel,
  TrainHooks,
  TrainJob,
  TrainResult,
  TrainSettings,
} from '@dualfit/core'
import { batches, classificationLoss, FORMULAS, PROBABILITY_CLIP, Rng, scheduledLr } from '@dualfit/core'

export interface Faults {
  flipGradient?: boolean
  ignoreStop?: boolean
  /** Never looks at hooks.signal. */
  ignoreAbort?: boolean
  /** A timer per train() call, cleared only by dispose(). */
  leakTimer?: boolean
  /** A handle counted in liveHandles per train() call, never released. */
  leakHandle?: boolean
  ignoreOrder?: boolean
  /** predict reads kernels as [units, inputs]. */
  transposedPredict?: boolean
  /** Reports the loss after each batch's update. */
  lossAfterUpdate?: boolean
  /** A little noise in the first step, different on every call. */
  nondeterministic?: boolean
  /** predict does not check that x holds whole rows. */
  acceptsRaggedX?: boolean
  /** Adam steps in Keras' form, eps added to sqrt(v), while settings() declares PyTorch's. */
  stepsEpsHat?: boolean
  /** settings() declares this default eps; train() uses 1e-8. */
  declaresDefaultEps?: number
  /** settings() describes its own initializer even when job.initialWeights is given. */
  declaresOwnInit?: boolean
  /** The weights getter returns one set of arrays, refilled at every call, like live buffers. */
  liveEpochWeights?: boolean
  /** The weights getter returns the weights the epoch started from. */
  epochStartWeights?: boolean
  /** The weights getter clears the optimizer state, as a backend that rebuilds its model to read them. */
  getterResetsState?: boolean
  /** Clips probabilities to [1e-7, 1 - 1e-7] from logits too, while settings() declares no clip there. */
  clipsLogits?: boolean
  /** Never clips probabilities, while settings() declares the Keras clip for fromLogits false. */
  neverClips?: boolean
  /** RMSprop and Adagrad divide by sqrt(v) + eps whatever settings() declares. */
  rootEpsOutside?: boolean
  /** SGD's momentum in PyTorch's form whatever settings() declares. */
  torchMomentum?: boolean
  /** Weight decay added to the gradient whatever settings() declares (AdamW aside). */
  gradientDecay?: boolean
  /** Under init 'framework', declares RMSprop's rho 0.9 while applying its own 0.99. */
  declaresRho?: number
  /** Schedules in PyTorch's semantics whatever settings() declares. */
  torchSchedules?: boolean
  /** The l2 penalty is in the gradient but not in the reported loss. */
  l2NotInLoss?: boolean
  /** The l2 penalty is in the reported loss but not in the gradient. */
  l2NotInGradient?: boolean
  /** Applies and declares its own (PyTorch's) formulas whatever job.optimizer.formula asks. */
  ignoresFormula?: boolean
}

/** The formulas and values train(job) applies: the job's convention, or the double's own (PyTorch's). */
interface Applied {
  eps: number
  rho: number
  accumulator: number
  weightDecay: number
  adamEpsilon: AdamEpsilon
  rootEpsilon: RootEpsilon
  momentum: MomentumForm
  decoupled: boolean
  semantics: 'keras' | 'torch'
}

function applied(job: TrainJob, faults: Faults): Applied {
  const o = job.optimizer
  const f = (faults.ignoresFormula ? null : o.formula) ?? FORMULAS.torch
  return {
    eps: o.eps ?? (o.name === 'adagrad' ? 1e-10 : DEFAULT_EPS),
    rho: o.rho ?? 0.99,
    accumulator: o.initialAccumulator ?? 0,
    weightDecay: o.weightDecay ?? 0.01,
    adamEpsilon: f.adamEpsilon,
    rootEpsilon: f.rootEpsilon,
    // tfjs-core's RMSprop keeps lr inside its momentum, as Keras does.
    momentum: o.name === 'rmsprop' && f.convention !== 'torch' ? FORMULAS.keras.momentum : f.momentum,
    decoupled: o.name === 'adamw' || f.weightDecay === 'decoupled',
    semantics: job.schedule?.semantics ?? 'torch',
  }
}

/** What liveResources reports: handles train() holds right now (or leaked). */
export const live = { handles: 0 }

const f = Math.fround
const DEFAULT_EPS = 1e-8

interface Layer {
  inputs: number
  units: number
  activation: LayerSpec['activation']
  /** [units, inputs] */
  w: Float32Array
  b: Float32Array
}

function act(name: LayerSpec['activation'], z: number): number {
  if (name === 'relu') return Math.max(z, 0)
  if (name === 'tanh') return f(Math.tanh(z))
  if (name === 'sigmoid') return f(1 / (1 + Math.exp(-z)))
  return z
}

function softmax(z: Float32Array): Float32Array {
  let max = Number.NEGATIVE_INFINITY
  for (const v of z) max = Math.max(max, v)
  const e = z.map((v) => f(Math.exp(v - max)))
  const sum = e.reduce((a, b) => f(a + b), 0)
  return e.map((v) => f(v / sum))
}

function dAct(name: LayerSpec['activation'], a: number): number {
  if (name === 'relu') return a > 0 ? 1 : 0
  if (name === 'tanh') return f(1 - f(a * a))
  if (name === 'sigmoid') return f(a * f(1 - a))
  return 1
}

function toLayers(inputs: number, specs: readonly LayerSpec[], weights: readonly LayerWeights[]): Layer[] {
  return specs.map((s, k) => {
    const lw = weights[k] as LayerWeights
    const fanIn = k === 0 ? inputs : (specs[k - 1] as LayerSpec).units
    const w = new Float32Array(s.units * fanIn)
    for (let i = 0; i < fanIn; i++)
      for (let u = 0; u < s.units; u++) w[u * fanIn + i] = lw.kernel[i * s.units + u] as number
    return { inputs: fanIn, units: s.units, activation: s.activation, w, b: lw.bias.slice() }
  })
}

function toWeights(layers: Layer[]): LayerWeights[] {
  return layers.map((l) => {
    const kernel = new Float32Array(l.w.length)
    for (let i = 0; i < l.inputs; i++)
      for (let u = 0; u < l.units; u++) kernel[i * l.units + u] = l.w[u * l.inputs + i] as number
    return { inputs: l.inputs, units: l.units, kernel, bias: l.b.slice() }
  })
}

/** Activations of every layer for n rows; [0] is x itself. */
function forward(layers: Layer[], x: Float32Array, n: number): Float32Array[] {
  const outs = [x]
  for (const l of layers) {
    const h = outs[outs.length - 1] as Float32Array
    const a = new Float32Array(n * l.units)
    for (let r = 0; r < n; r++) {
      for (let u = 0; u < l.units; u++) {
        let z = l.b[u] as number
        for (let i = 0; i < l.inputs; i++)
          z = f(z + f((l.w[u * l.inputs + i] as number) * (h[r * l.inputs + i] as number)))
        a[r * l.units + u] = act(l.activation, z)
      }
      if (l.activation === 'softmax') {
        const row = a.subarray(r * l.units, (r + 1) * l.units)
        row.set(softmax(row))
      }
    }
    outs.push(a)
  }
  return outs
}

function lossOf(loss: LossSpec, pred: Float32Array, y: Float32Array): { value: number; grad: Float32Array } {
  const count = pred.length
  const grad = new Float32Array(count)
  let sum = 0
  for (let i = 0; i < count; i++) {
    const d = f((pred[i] as number) - (y[i] as number))
    const a = Math.abs(d)
    if (loss.name === 'mse') {
      sum += d * d
      grad[i] = (2 * d) / count
    } else if (loss.name === 'mae') {
      sum += a
      grad[i] = Math.sign(d) / count
    } else if (a <= loss.delta) {
      sum += 0.5 * d * d
      grad[i] = d / count
    } else {
      sum += loss.delta * (a - 0.5 * loss.delta)
      grad[i] = (loss.delta * Math.sign(d)) / count
    }
  }
  return { value: f(sum / count), grad }
}

/**
 * A classification loss as Keras/PyTorch compute it, in float32, and its gradient with respect to the
 * last layer's pre-activation (the chain through softmax/sigmoid written out: p - onehot where the
 * clip lets the gradient through). `clip` null: no clip.
 */
function classificationLossOf(
  loss: LossSpec,
  out: Float32Array,
  y: Float32Array,
  clip: readonly [number, number] | null,
): { value: number; grad: Float32Array } {
  const n = y.length
  const k = out.length / n
  const logits = loss.fromLogits !== false
  const grad = new Float32Array(out.length)
  let sum = 0
  for (let r = 0; r < n; r++) {
    const row = out.subarray(r * k, (r + 1) * k)
    const label = y[r] as number
    const p =
      k === 1
        ? Float32Array.of(logits ? act('sigmoid', row[0] as number) : (row[0] as number))
        : logits
          ? softmax(row)
          : row
    // Binary: the probability of class 1; onehot is then the label itself.
    const target = (j: number) => (k === 1 ? label : j === label ? 1 : 0)
    const pLabel = k === 1 && label === 0 ? f(1 - (p[0] as number)) : (p[k === 1 ? 0 : label] as number)
    const inside = clip === null || (pLabel >= f(clip[0]) && pLabel <= f(clip[1]))
    sum += -Math.log(clip === null ? pLabel : Math.min(Math.max(pLabel, f(clip[0])), f(clip[1])))
    if (inside) for (let j = 0; j < k; j++) grad[r * k + j] = f(((p[j] as number) - target(j)) / n)
  }
  return { value: f(sum / n), grad }
}

function rows(data: Float32Array, width: number, idx: ArrayLike<number>): Float32Array {
  const out = new Float32Array(idx.length * width)
  for (let r = 0; r < idx.length; r++)
    out.set(data.subarray((idx[r] as number) * width, ((idx[r] as number) + 1) * width), r * width)
  return out
}

export class DoubleBackend implements Backend {
  readonly id = 'test-double'
  readonly version = 'test-double@0'
  readonly engines: readonly Engine[] = [
    { id: 'js', device: 'cpu', detail: 'plain TypeScript', probe: async () => null },
    { id: 'gpu', device: 'gpu', detail: 'never here', probe: async () => 'no GPU in tests' },
  ]
  readonly saveFormats = ['json']
  private readonly timers: ReturnType<typeof setInterval>[] = []
  private noise = 0

  constructor(private readonly faults: Faults = {}) {}

  private checkEngine(engine: string): void {
    if (!this.engines.some((e) => e.id === engine)) throw new Error(`test-double has no engine '${engine}'`)
  }

  async train(job: TrainJob, hooks: TrainHooks): Promise<TrainResult> {
    this.checkEngine(job.engine)
    const t0 = performance.now()
    live.handles++
    if (this.faults.leakTimer) this.timers.push(setInterval(() => {}, 60_000))
    try {
      return await this.fit(job, hooks, t0)
    } finally {
      if (!this.faults.leakHandle) live.handles--
    }
  }

  private async fit(job: TrainJob, hooks: TrainHooks, t0: number): Promise<TrainResult> {
    const { inputs, layers: specs } = job.model
    const { data } = job
    // The "framework's own" conventions: seeded uniform weights and a seeded shuffle.
    const rng = new Rng(job.seed, 'test-double')
    const start =
      job.initialWeights ??
      specs.map((s, k) => {
        const fanIn = k === 0 ? inputs : (specs[k - 1] as LayerSpec).units
        const draw = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-0.5, 0.5))
        return { inputs: fanIn, units: s.units, kernel: draw(fanIn * s.units), bias: draw(s.units) }
      })
    const layers = toLayers(inputs, specs, start)
    const zeros = (fill = 0) =>
      layers.map((l) => ({
        w: new Float32Array(l.w.length).fill(fill),
        b: new Float32Array(l.b.length).fill(fill),
      }))
    const o = job.optimizer
    const a = applied(job, this.faults)
    const m = zeros()
    const v = zeros(o.name === 'adagrad' ? a.accumulator : 0)
    const c = zeros()
    const { beta1, beta2, momentum, nesterov } = o
    const { eps, rho } = a
    const torchMomentum = this.faults.torchMomentum || a.momentum === FORMULAS.torch.momentum
    const decoupled = a.decoupled && !(this.faults.gradientDecay && o.name !== 'adamw')
    const rootOutside = this.faults.rootEpsOutside || a.rootEpsilon === 'sqrt(v) + eps'
    const semantics = this.faults.torchSchedules ? 'torch' : a.semantics
    const wd = o.name === 'adamw' ? a.weightDecay : (o.weightDecay ?? 0)
    const losses: number[] = []
    let lr = o.lr
    let steps = 0
    const setupMs = performance.now() - t0

    const step = (
      p: Float32Array,
      grad: Float32Array,
      mm: Float32Array,
      vv: Float32Array,
      aa: Float32Array,
    ) => {
      for (let i = 0; i < p.length; i++) {
        let gi = grad[i] as number
        if (wd > 0 && decoupled) p[i] = (p[i] as number) * (1 - lr * wd)
        else if (wd > 0) gi += wd * (p[i] as number)
        const denom = (s: number) => (rootOutside ? Math.sqrt(s) + eps : Math.sqrt(s + eps))
        if (o.name === 'adam' || o.name === 'adamw') {
          mm[i] = beta1 * (mm[i] as number) + (1 - beta1) * gi
          vv[i] = beta2 * (vv[i] as number) + (1 - beta2) * gi * gi
          const mhat = (mm[i] as number) / (1 - beta1 ** steps)
          const vhat = (vv[i] as number) / (1 - beta2 ** steps)
          const lrHat = (lr * Math.sqrt(1 - beta2 ** steps)) / (1 - beta1 ** steps)
          p[i] =
            this.faults.stepsEpsHat || a.adamEpsilon === 'sqrt(v) + eps_hat'
              ? (p[i] as number) - (lrHat * (mm[i] as number)) / (Math.sqrt(vv[i] as number) + eps)
              : (p[i] as number) - (lr * mhat) / (Math.sqrt(vhat) + eps)
        } else if (o.name === 'rmsprop') {
          vv[i] = rho * (vv[i] as number) + (1 - rho) * gi * gi
          if (o.centered) aa[i] = rho * (aa[i] as number) + (1 - rho) * gi
          const d = denom((vv[i] as number) - (o.centered ? (aa[i] as number) ** 2 : 0))
          if (momentum > 0 && torchMomentum) {
            mm[i] = momentum * (mm[i] as number) + gi / d
            p[i] = (p[i] as number) - lr * (mm[i] as number)
          } else if (momentum > 0) {
            mm[i] = momentum * (mm[i] as number) + (lr * gi) / d
            p[i] = (p[i] as number) - (mm[i] as number)
          } else p[i] = (p[i] as number) - (lr * gi) / d
        } else if (o.name === 'adagrad') {
          vv[i] = (vv[i] as number) + gi * gi
          p[i] = (p[i] as number) - (lr * gi) / denom(vv[i] as number)
        } else if (torchMomentum) {
          mm[i] = momentum * (mm[i] as number) + gi
          const dir = nesterov ? gi + momentum * (mm[i] as number) : (mm[i] as number)
          p[i] = (p[i] as number) - lr * dir
        } else {
          mm[i] = momentum * (mm[i] as number) - lr * gi
          p[i] = (p[i] as number) + (nesterov ? momentum * (mm[i] as number) - lr * gi : (mm[i] as number))
        }
        if (this.faults.nondeterministic && steps === 1) p[i] = (p[i] as number) + 1e-4 * ++this.noise
      }
    }

    let reused: LayerWeights[] | null = null
    for (let epoch = 0; epoch < job.epochs; epoch++) {
      const before = this.faults.epochStartWeights ? toWeights(layers) : null
      const identity = Uint32Array.from({ length: data.n }, (_, i) => i)
      const order = this.faults.ignoreOrder
        ? identity
        : (job.order?.(epoch) ?? new Rng(job.seed, 'test-double-order', epoch).permutation(data.n))
      if (job.schedule) lr = scheduledLr(o.lr, job.schedule, semantics, [...losses, 0])[epoch] as number
      let sum = 0
      for (const batch of batches(order, job.batchSize)) {
        if (!this.faults.ignoreAbort) hooks.signal?.throwIfAborted()
        const x = rows(data.x, data.inputs, batch)
        const y = rows(data.y, data.outputs, batch)
        const outs = forward(layers, x, batch.length)
        const { value, grad } = this.lossOf(job.loss, outs[outs.length - 1] as Float32Array, y)
        const classify = classificationLoss(job.loss.name) !== null
        let delta = grad
        const grads = layers.map((l) => ({
          w: new Float32Array(l.w.length),
          b: new Float32Array(l.b.length),
        }))
        for (let k = layers.length - 1; k >= 0; k--) {
          const l = layers[k] as Layer
          const [a, h, g] = [
            outs[k + 1] as Float32Array,
            outs[k] as Float32Array,
            grads[k] as (typeof grads)[0],
          ]
          const dh = new Float32Array(batch.length * l.inputs)
          for (let r = 0; r < batch.length; r++)
            for (let u = 0; u < l.units; u++) {
              // A classification loss's grad is already dz of the last layer.
              const dz =
                classify && k === layers.length - 1
                  ? (delta[r * l.units + u] as number)
                  : f((delta[r * l.units + u] as number) * dAct(l.activation, a[r * l.units + u] as number))
              g.b[u] = (g.b[u] as number) + dz
              for (let i = 0; i < l.inputs; i++) {
                g.w[u * l.inputs + i] =
                  (g.w[u * l.inputs + i] as number) + dz * (h[r * l.inputs + i] as number)
                dh[r * l.inputs + i] =
                  (dh[r * l.inputs + i] as number) + dz * (l.w[u * l.inputs + i] as number)
              }
            }
          delta = dh
        }
        steps++
        // Keras' kernel_regularizer l2(λ): λ Σ w² in the loss, 2 λ w in the kernel's gradient.
        let penalty = 0
        layers.forEach((l, k) => {
          const l2 = (specs[k] as LayerSpec).l2 ?? 0
          const g = grads[k] as (typeof grads)[0]
          for (let i = 0; i < l.w.length; i++) {
            const w = l.w[i] as number
            penalty += l2 * w * w
            if (!this.faults.l2NotInGradient) g.w[i] = (g.w[i] as number) + 2 * l2 * w
          }
        })
        layers.forEach((l, k) => {
          const g = grads[k] as (typeof grads)[0]
          const [mk, vk, ck] = [m[k], v[k], c[k]] as [(typeof m)[0], (typeof m)[0], (typeof m)[0]]
          if (this.faults.flipGradient) for (const t of [g.w, g.b]) t.set(t.map((x) => -x))
          step(l.w, g.w, mk.w, vk.w, ck.w)
          step(l.b, g.b, mk.b, vk.b, ck.b)
        })
        const reported = this.faults.lossAfterUpdate
          ? this.lossOf(job.loss, forward(layers, x, batch.length).pop() as Float32Array, y).value
          : value + (this.faults.l2NotInLoss ? 0 : penalty)
        sum += reported * batch.length
      }
      losses.push(sum / data.n)
      const logs: EpochLogs = { loss: sum / data.n, lr }
      if (job.validation) {
        const pred = forward(layers, job.validation.x, job.validation.n).pop() as Float32Array
        logs.valLoss = this.lossOf(job.loss, pred, job.validation.y).value
      }
      const weights = async () => {
        const now = before ?? toWeights(layers)
        if (this.faults.getterResetsState)
          for (const t of [...m, ...v]) {
            t.w.fill(0)
            t.b.fill(0)
          }
        if (!this.faults.liveEpochWeights) return now
        reused ??= now
        for (const [k, w] of reused.entries()) {
          w.kernel.set((now[k] as LayerWeights).kernel)
          w.bias.set((now[k] as LayerWeights).bias)
        }
        return reused
      }
      const answer = await hooks.onEpochEnd(epoch, logs, weights)
      if (answer === 'stop' && !this.faults.ignoreStop) break
    }
    return { weights: toWeights(layers), steps, setupMs }
  }

  /** The clip train() applies: Keras' for fromLogits false, none from logits (unless a fault says otherwise). */
  private clipOf(loss: LossSpec): readonly [number, number] | null {
    const keras = [PROBABILITY_CLIP, 1 - PROBABILITY_CLIP] as const
    if (this.faults.neverClips) return null
    return loss.fromLogits === false || this.faults.clipsLogits ? keras : null
  }

  private lossOf(loss: LossSpec, pred: Float32Array, y: Float32Array) {
    return classificationLoss(loss.name)
      ? classificationLossOf(loss, pred, y, this.clipOf(loss))
      : lossOf(loss, pred, y)
  }

  settings(job: TrainJob): TrainSettings {
    const given = (v: unknown) => v !== null && !this.faults.declaresOwnInit
    const o = job.optimizer
    const a = applied(job, this.faults)
    const wd = o.name === 'adamw' ? a.weightDecay : (o.weightDecay ?? 0)
    return {
      initializer: given(job.initialWeights) ? 'given' : 'uniform(-0.5, 0.5) kernel and bias, seeded',
      order: job.order ? 'given' : 'a seeded permutation per epoch',
      batchSize: job.batchSize,
      epsilon:
        o.name === 'adam' || o.name === 'adamw'
          ? { value: job.optimizer.eps ?? this.faults.declaresDefaultEps ?? a.eps, placement: a.adamEpsilon }
          : null,
      optimizer: {
        name: o.name,
        rootEpsilon:
          o.name === 'rmsprop' || o.name === 'adagrad' ? { value: a.eps, placement: a.rootEpsilon } : null,
        momentum:
          (o.name === 'sgd' || o.name === 'rmsprop') && o.momentum > 0
            ? { value: o.momentum, form: a.momentum, nesterov: o.nesterov }
            : null,
        rho: o.name === 'rmsprop' ? (o.rho ?? this.faults.declaresRho ?? a.rho) : null,
        centered: o.name === 'rmsprop' ? o.centered : null,
        initialAccumulator: o.name === 'adagrad' ? a.accumulator : null,
        weightDecay: wd > 0 ? { value: wd, form: a.decoupled ? 'decoupled' : 'gradient' } : null,
        schedule: job.schedule ? { name: job.schedule.name, semantics: a.semantics } : null,
      },
      lossReduction: 'mean',
      probabilities: classificationLoss(job.loss.name)
        ? {
            activation: job.loss.name === 'cross_entropy' ? 'softmax' : 'sigmoid',
            at: job.loss.fromLogits === false ? 'model' : 'loss',
            clip: job.loss.fromLogits === false ? [PROBABILITY_CLIP, 1 - PROBABILITY_CLIP] : null,
          }
        : null,
    }
  }

  async predict(model: TrainedModel, x: Float32Array, engine: string): Promise<Float32Array> {
    this.checkEngine(engine)
    if (!this.faults.acceptsRaggedX && x.length % model.inputs !== 0)
      throw new Error(`x: expected rows of ${model.inputs} value(s), got ${x.length} value(s)`)
    const n = Math.floor(x.length / model.inputs)
    const layers = toLayers(model.inputs, model.layers, model.weights)
    if (this.faults.transposedPredict)
      for (const [k, l] of layers.entries()) l.w = (model.weights[k] as LayerWeights).kernel.slice()
    const outs = forward(layers, x.subarray(0, n * model.inputs), n)
    return outs[outs.length - 1] as Float32Array
  }

  async save(model: TrainedModel, format: string): Promise<Record<string, Uint8Array>> {
    if (format !== 'json') throw new Error(`test-double cannot save '${format}'`)
    const plain = {
      ...model,
      weights: model.weights.map((w) => ({ ...w, kernel: [...w.kernel], bias: [...w.bias] })),
    }
    return { 'model.json': new TextEncoder().encode(JSON.stringify(plain)) }
  }

  async dispose(): Promise<void> {
    for (const t of this.timers.splice(0)) clearInterval(t)
  }
}
