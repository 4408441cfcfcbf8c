/**
 * The torch-style Backend: the seed's PyTorch program (nn.Sequential, MSELoss, Adam and a loop
 * written out by hand) on this package's nn/optim API, with ONNX Runtime doing the arithmetic.
 */
import { createRequire } from 'node:module'
import {
  type Backend,
  batches,
  batchOrder,
  checkModel,
  type DataSplit,
  type Engine,
  type EpochLogs,
  initialWeights,
  type LayerSpec,
  type LayerWeights,
  type LossSpec,
  probabilitiesOf,
  rowsOf,
  type TrainedModel,
  type TrainHooks,
  type TrainJob,
  type TrainOptimizer,
  type TrainResult,
  type TrainSchedule,
  type TrainSettings,
  transpose,
} from '@dualfit/core'
import { deviceOf, ENGINE_DETAIL, ORT_ENGINES, probeEngine } from '@dualfit/onnx'
import * as lrScheduler from './lr-scheduler.js'
import * as nn from './nn.js'
import * as optim from './optim.js'
import { checkEngine, Runtime } from './runtime.js'
import { type Parameter, type Tensor, tensor } from './tensor.js'

const { version } = createRequire(import.meta.url)('../package.json') as { version: string }

/** nn.Sequential(Linear, activation, Linear, ...) for a Dense-layer list, starting from `weights`. */
function buildModel(inputs: number, layers: LayerSpec[], weights: LayerWeights[]): nn.Sequential {
  checkModel({ inputs, layers, weights })
  const activation = { relu: nn.ReLU, tanh: nn.Tanh, sigmoid: nn.Sigmoid, softmax: nn.Softmax }
  const modules = layers.flatMap((l, k) => {
    const w = weights[k] as LayerWeights
    const linear = new nn.Linear(w.inputs, w.units, w)
    return l.activation === 'linear' ? [linear] : [linear, new activation[l.activation]()]
  })
  return new nn.Sequential(...modules)
}

const linearsOf = (model: nn.Sequential) => model.modules.filter((m) => m instanceof nn.Linear)

/** The model's weights in core's layout, as fresh arrays (core may keep them as a snapshot). */
function weightsOf(model: nn.Sequential): LayerWeights[] {
  return linearsOf(model).map((l) => ({
    inputs: l.inFeatures,
    units: l.outFeatures,
    kernel: transpose(l.weight.data, l.outFeatures, l.inFeatures),
    bias: l.bias.data.slice(),
  }))
}

/** The PyTorch criterion for a loss; fromLogits false has none in PyTorch, so Keras' clipped ones. */
export function criterionFor(loss: LossSpec): nn.Criterion {
  const fromLogits = loss.fromLogits !== false
  switch (loss.name) {
    case 'mse':
      return nn.MSELoss()
    case 'mae':
      return nn.L1Loss()
    case 'huber':
      return nn.HuberLoss({ delta: loss.delta })
    case 'cross_entropy':
      return fromLogits ? nn.CrossEntropyLoss() : nn.KerasCategoricalCrossentropy()
    case 'binary_cross_entropy':
      return fromLogits ? nn.BCEWithLogitsLoss() : nn.KerasBinaryCrossentropy()
  }
}

/**
 * The optimizer a job asks for. Null fields (init 'framework') leave PyTorch's own defaults in
 * place, as torch.optim's constructors have them, and a null formula PyTorch's formulas.
 */
function optimizerFor(spec: TrainOptimizer, params: Parameter[]): optim.Optimizer {
  const common = {
    lr: spec.lr,
    weightDecay: spec.weightDecay ?? undefined,
    formula: spec.formula ?? undefined,
  }
  const eps = spec.eps ?? undefined
  const betas: [number, number] = [spec.beta1, spec.beta2]
  switch (spec.name) {
    case 'sgd':
      return new optim.SGD(params, { ...common, momentum: spec.momentum, nesterov: spec.nesterov })
    case 'adam':
      return new optim.Adam(params, { ...common, betas, eps })
    case 'adamw':
      return new optim.AdamW(params, { ...common, betas, eps })
    case 'rmsprop':
      return new optim.RMSprop(params, {
        ...common,
        alpha: spec.rho ?? undefined,
        eps,
        momentum: spec.momentum,
        centered: spec.centered,
      })
    case 'adagrad':
      return new optim.Adagrad(params, {
        ...common,
        eps,
        initialAccumulatorValue: spec.initialAccumulator ?? undefined,
      })
  }
}

/** The scheduler a job's schedule asks for, as the step to take after each epoch with its loss. */
function schedulerFor(
  s: TrainSchedule | null | undefined,
  o: optim.Optimizer,
): ((loss: number) => void) | null {
  if (!s) return null
  // null: torch-style's own, PyTorch's.
  const semantics = s.semantics ?? 'torch'
  const each = (scheduler: lrScheduler.LRScheduler) => () => scheduler.step()
  switch (s.name) {
    case 'step':
      return each(new lrScheduler.StepLR(o, { stepSize: s.stepSize, gamma: s.gamma }))
    case 'exponential':
      return each(new lrScheduler.ExponentialLR(o, { gamma: s.gamma }))
    case 'cosine':
      return each(new lrScheduler.CosineAnnealingLR(o, { tMax: s.tMax, etaMin: s.minLr, semantics }))
    case 'plateau': {
      const { factor, patience, threshold, cooldown, minLr } = s
      const plateau = new lrScheduler.ReduceLROnPlateau(o, {
        factor,
        patience,
        threshold,
        cooldown,
        minLr,
        semantics,
      })
      return (loss) => plateau.step(loss)
    }
  }
}

/**
 * Keras' kernel_regularizer l2(λ) written into the PyTorch loop as a PyTorch user would: the loss
 * plus λ Σ W² (keras/src/regularizers/regularizers.py), so W.grad gains 2λ W. Call after
 * backward(), before the step; returns the penalty, at the weights the gradient was taken at.
 */
function l2Penalty(terms: { weight: Parameter; l2: number }[]): number {
  let penalty = 0
  for (const { weight, l2 } of terms) {
    let sum = 0
    for (const w of weight.data) sum += w * w
    penalty += l2 * sum
  }
  return penalty
}

function addL2(terms: { weight: Parameter; l2: number }[]): number {
  for (const { weight, l2 } of terms) {
    const w = weight.data
    const g = weight.grad?.data
    if (g) for (let i = 0; i < w.length; i++) g[i] = (g[i] as number) + 2 * l2 * (w[i] as number)
  }
  return l2Penalty(terms)
}

/** A split as (x, y) tensors. */
const tensors = (d: DataSplit) => ({ x: tensor(d.x, [d.n, d.inputs]), y: tensor(d.y, [d.n, d.outputs]) })

const bytesOf = (a: Uint32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)

/** The bytes of the row order 0, 1, ..., n-1. */
function identityBytes(n: number): Buffer {
  const rows = new Uint32Array(n)
  for (let i = 0; i < n; i++) rows[i] = i
  return bytesOf(rows)
}

/**
 * Batches as (x, y) tensors over buffers made once per batch size and refilled in place, so a step
 * allocates nothing the size of the data; a batch of every row in order is the data itself.
 */
function batchTensors(d: DataSplit, all: { x: Tensor; y: Tensor }, batchSize: number) {
  const buffers = new Map<number, { x: Tensor; y: Tensor }>()
  // Where a batch can hold every row, "in order?" is a native byte compare (0.3 ms at 1e6 rows):
  // a JS loop took 1 ms once optimized and more before, Uint32Array.every 7.7 ms, every epoch.
  const identity = batchSize >= d.n ? identityBytes(d.n) : null
  return (rows: Uint32Array) => {
    if (identity && rows.length === d.n && identity.equals(bytesOf(rows))) return all
    let b = buffers.get(rows.length)
    if (!b) {
      b = tensors({
        ...d,
        n: rows.length,
        x: new Float32Array(rows.length * d.inputs),
        y: new Float32Array(rows.length * d.outputs),
      })
      buffers.set(rows.length, b)
    }
    gatherRows(d.x, d.inputs, rows, b.x.data)
    gatherRows(d.y, d.outputs, rows, b.y.data)
    return b
  }
}

function gatherRows(from: Float32Array, width: number, rows: Uint32Array, into: Float32Array): void {
  for (let r = 0; r < rows.length; r++) {
    const at = (rows[r] as number) * width
    for (let c = 0; c < width; c++) into[r * width + c] = from[at + c] as number
  }
}

class TorchStyleBackend implements Backend {
  readonly id = 'torch-style'
  readonly version = `@dualfit/torch-style@${version}`
  /** In order of preference: cpu is the fastest per step on the seed's protocols (README). */
  readonly engines: Engine[] = ORT_ENGINES.map((id) => ({
    id,
    device: deviceOf(id),
    detail: ENGINE_DETAIL[id],
    probe: async () => {
      const p = await probeEngine(id)
      return p.available ? null : p.detail
    },
  }))
  /** This instance's sessions: dispose() releases them and no other instance's. */
  readonly #runtime = new Runtime()

  async train(job: TrainJob, hooks: TrainHooks): Promise<TrainResult> {
    const setupStart = performance.now()
    const engine = checkEngine(job.engine)
    const { inputs, layers } = job.model
    // Framework conventions: nn.Linear's initialization (core's 'torch' one) and a reshuffling loader,
    // both seeded from job.seed.
    const start = job.initialWeights ?? initialWeights('torch', inputs, layers, job.seed, 'torch-style')
    const order = job.order ?? batchOrder(job.data.n, true, job.seed, 'torch-style')

    const model = buildModel(inputs, layers, start).to(engine, this.#runtime)
    const criterion = criterionFor(job.loss)
    const optimizer = optimizerFor(job.optimizer, model.parameters())
    const scheduleStep = schedulerFor(job.schedule, optimizer)
    const l2 = linearsOf(model).flatMap((l, k) => {
      const lambda = layers[k]?.l2 ?? 0
      return lambda > 0 ? [{ weight: l.weight, l2: lambda }] : []
    })
    const all = tensors(job.data)
    const batch = batchTensors(job.data, all, job.batchSize)
    const validation = job.validation && tensors(job.validation)
    // Build the training session now, so that setupMs holds it and core's train time only the steps.
    await criterion(model.forward(all.x), all.y).compile()
    const setupMs = performance.now() - setupStart

    let steps = 0
    for (let epoch = 0; epoch < job.epochs; epoch++) {
      model.train()
      const lr = optimizer.lr
      let sum = 0
      let seen = 0
      for (const rows of batches(order(epoch), job.batchSize)) {
        hooks.signal?.throwIfAborted()
        const { x, y } = batch(rows)
        optimizer.zeroGrad()
        const out = model.forward(x)
        const loss = criterion(out, y)
        await loss.backward()
        const penalty = addL2(l2)
        optimizer.step()
        sum += (loss.item() + penalty) * rows.length
        seen += rows.length
        steps++
      }
      const logs: EpochLogs = { loss: sum / seen }
      if (scheduleStep) logs.lr = lr
      if (validation) {
        model.eval()
        // As Keras reports val_loss: the penalty included (it is part of the loss being minimised).
        const valLoss = (await criterion(model.forward(validation.x), validation.y).compute())[0] as number
        logs.valLoss = valLoss + l2Penalty(l2)
      }
      if ((await hooks.onEpochEnd(epoch, logs, async () => weightsOf(model))) === 'stop') break
      scheduleStep?.(logs.loss)
    }
    return { weights: weightsOf(model), steps, setupMs }
  }

  settings(job: TrainJob): TrainSettings {
    // What optimizerFor makes of the job, read off the optimizer itself.
    const o = optimizerFor(job.optimizer, [])
    const root = o instanceof optim.RMSprop || o instanceof optim.Adagrad
    const withMomentum = (o instanceof optim.SGD || o instanceof optim.RMSprop) && o.momentum > 0 ? o : null
    return {
      initializer: job.initialWeights
        ? 'given'
        : "U(-1/sqrt(fan_in), 1/sqrt(fan_in)) weight and bias (nn.Linear's, core's 'torch' draw), seeded",
      order: job.order
        ? 'given'
        : "a fresh permutation per epoch (a shuffling DataLoader's, core's batchOrder), seeded",
      batchSize: job.batchSize,
      epsilon: o instanceof optim.Adam ? { value: o.eps, placement: o.formula.adamEpsilon } : null,
      optimizer: {
        name: job.optimizer.name,
        rootEpsilon: root ? { value: o.eps, placement: o.formula.rootEpsilon } : null,
        momentum: withMomentum && {
          value: withMomentum.momentum,
          form: withMomentum.momentumForm,
          nesterov: withMomentum instanceof optim.SGD && withMomentum.nesterov,
        },
        rho: o instanceof optim.RMSprop ? o.alpha : null,
        centered: o instanceof optim.RMSprop ? o.centered : null,
        initialAccumulator: o instanceof optim.Adagrad ? o.initialAccumulatorValue : null,
        weightDecay: o.weightDecay > 0 ? { value: o.weightDecay, form: o.decayForm } : null,
        schedule: job.schedule
          ? { name: job.schedule.name, semantics: job.schedule.semantics ?? 'torch' }
          : null,
      },
      // nn's criteria reduce with 'mean', PyTorch's default.
      lossReduction: 'mean',
      // criterionFor: CrossEntropyLoss / BCEWithLogitsLoss on logits, the Keras criteria on
      // probabilities with their clip: the spec's request, as it is.
      ...probabilitiesOf(job.loss),
    }
  }

  async predict(model: TrainedModel, x: Float32Array, engine: string): Promise<Float32Array> {
    const id = checkEngine(engine)
    const n = rowsOf(x, model.inputs)
    const net = buildModel(model.inputs, model.layers, model.weights).to(id, this.#runtime)
    net.eval()
    return net.forward(tensor(x, [n, model.inputs])).compute()
  }

  async dispose(): Promise<void> {
    await this.#runtime.release()
  }
}

export function createBackend(): Backend {
  return new TorchStyleBackend()
}
