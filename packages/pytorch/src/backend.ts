/**
 * The pytorch Backend: real PyTorch in a python child process (python/dualfit_torch.py), driven
 * over a line protocol. This side checks and encodes; python runs the plain PyTorch loop and asks
 * the harness's decision after every epoch.
 */
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import {
  type Backend,
  checkModel,
  type DataSplit,
  defaultEps,
  type Engine,
  type EpochLogs,
  FORMULAS,
  type LayerWeights,
  probabilitiesOf,
  resolveOptimizer,
  rowsOf,
  type TrainedModel,
  type TrainHooks,
  type TrainJob,
  type TrainResult,
  type TrainSettings,
  transpose,
  UserError,
} from '@dualfit/core'
import { decodeF32, decodeNumber, encode } from './codec.js'
import { probeTorch, type TorchInfo } from './probe.js'
import { type Message, TorchProcess } from './process.js'

const { version } = createRequire(import.meta.url)('../package.json') as { version: string }

/** The interpreter used when neither the option nor DUALFIT_PYTHON names one (Debian's, with python3-torch). */
export const DEFAULT_PYTHON = '/usr/bin/python3'

/** The worker script shipped with this package (next to src/ and dist/). */
export const SCRIPT = fileURLToPath(new URL('../python/dualfit_torch.py', import.meta.url))

/**
 * The optimizer train(job) runs, every value and form resolved: the job's formula, else PyTorch's
 * own (torch/optim/*.py), with PyTorch's defaults where the job leaves a value null. python builds
 * its optimizer from exactly this, and settings() states it.
 */
function appliedOptimizer(job: TrainJob) {
  const o = job.optimizer
  const formula = o.formula ?? FORMULAS.torch
  // torch.optim's defaults (eps, alpha, initial_accumulator_value, AdamW's weight_decay): core's torch convention.
  const { name, lr, beta1, beta2, momentum } = o
  const own = resolveOptimizer({ name, lr, beta1, beta2, momentum, eps: defaultEps('torch', name) }, 'torch')
  return {
    name,
    lr,
    beta1,
    beta2,
    eps: o.eps ?? (own.eps as number),
    momentum,
    nesterov: o.nesterov,
    rho: o.rho ?? (own.rho as number),
    centered: o.centered,
    initialAccumulator: o.initialAccumulator ?? (own.initialAccumulator as number),
    weightDecay: o.weightDecay ?? (own.weightDecay as number),
    adamEpsilon: formula.adamEpsilon,
    rootEpsilon: formula.rootEpsilon,
    // RMSprop's momentum is its framework's: PyTorch's b = m b + g / d, w -= lr b (rmsprop.py);
    // Keras' and TF.js' mom = m mom + lr g / d, w -= mom (rmsprop.py, rmsprop_optimizer.ts).
    momentumForm:
      o.name === 'rmsprop'
        ? FORMULAS[formula.convention === 'torch' ? 'torch' : 'keras'].momentum
        : formula.momentum,
    // AdamW decays the weights whatever the convention (torch/optim/adamw.py, Keras' AdamW).
    decay: o.name === 'adamw' ? ('decoupled' as const) : formula.weightDecay,
  }
}

/** The job's schedule as train(job) runs it; semantics null: the backend's own, torch.optim.lr_scheduler's. */
const appliedSchedule = ({ schedule }: TrainJob) =>
  schedule ? { ...schedule, semantics: schedule.semantics ?? ('torch' as const) } : null

export const ENGINE_IDS = ['cpu', 'cuda'] as const
export type EngineId = (typeof ENGINE_IDS)[number]

export interface PyTorchOptions {
  /** The python interpreter; default: $DUALFIT_PYTHON, else /usr/bin/python3. */
  python?: string
}

function checkEngine(id: string): EngineId {
  if (!(ENGINE_IDS as readonly string[]).includes(id)) {
    throw new UserError(`engine '${id}': expected one of ${ENGINE_IDS.join(', ')}`)
  }
  return id as EngineId
}

const splitMessage = (d: DataSplit) => ({
  n: d.n,
  inputs: d.inputs,
  outputs: d.outputs,
  x: encode(d.x),
  y: encode(d.y),
})

/** Core layout ([inputs, units] kernels) -> the protocol's PyTorch layout (weight [units, inputs]). */
const torchWeights = (weights: LayerWeights[]) =>
  weights.map((w) => ({ weight: encode(transpose(w.kernel, w.inputs, w.units)), bias: encode(w.bias) }))

/** The protocol's weights back in core's layout, shaped like `like`. */
function coreWeights(sent: unknown, like: { inputs: number; units: number }[]): LayerWeights[] {
  if (!Array.isArray(sent) || sent.length !== like.length) {
    throw new Error(`pytorch: expected weights for ${like.length} layer(s)`)
  }
  return like.map(({ inputs, units }, k) => {
    const w = sent[k] as { weight: string; bias: string }
    const weight = decodeF32(w.weight, units * inputs, `pytorch: layer ${k} weight`)
    return {
      inputs,
      units,
      kernel: transpose(weight, units, inputs),
      bias: decodeF32(w.bias, units, `pytorch: layer ${k} bias`),
    }
  })
}

/** Each layer's [inputs, units]. */
function shapes(inputs: number, layers: { units: number }[]) {
  let width = inputs
  return layers.map((l) => {
    const s = { inputs: width, units: l.units }
    width = l.units
    return s
  })
}

function checkOrder(order: Uint32Array, n: number, epoch: number): Uint32Array {
  if (order.length !== n) throw new Error(`order(${epoch}): expected ${n} index(es), got ${order.length}`)
  return order
}

const modelMessage = (model: TrainedModel) => ({
  inputs: model.inputs,
  layers: model.layers,
  weights: torchWeights(model.weights),
})

export class PyTorchBackend implements Backend {
  readonly id = 'pytorch'
  readonly version = `@dualfit/pytorch@${version}`
  readonly saveFormats = ['pt'] as const
  readonly engines: readonly Engine[]
  /** The interpreter this instance runs. */
  readonly python: string
  private readonly proc: TorchProcess
  private info: Promise<TorchInfo> | null = null

  constructor(options: PyTorchOptions = {}) {
    this.python = options.python || process.env.DUALFIT_PYTHON || DEFAULT_PYTHON
    this.proc = new TorchProcess(this.python, SCRIPT)
    const probe = () => (this.info ??= probeTorch(this.python, SCRIPT))
    this.engines = [
      {
        id: 'cpu',
        device: 'cpu',
        detail: 'PyTorch on the CPU, 1 thread, deterministic (python child process)',
        probe: async () => (await probe()).error,
      },
      {
        id: 'cuda',
        device: 'gpu',
        detail: 'PyTorch on CUDA, deterministic algorithms (python child process)',
        probe: async () => {
          const info = await probe()
          return info.error ?? (info.cuda ? null : 'torch sees no CUDA device')
        },
      },
    ]
  }

  /** The long-lived python process's id, while it runs (tests check that dispose ends it). */
  get pid(): number | undefined {
    return this.proc.pid
  }

  async train(job: TrainJob, hooks: TrainHooks): Promise<TrainResult> {
    const start = performance.now()
    const engine = checkEngine(job.engine)
    const { inputs, layers } = job.model
    if (job.initialWeights) checkModel({ inputs, layers, weights: job.initialWeights })
    const layerShapes = shapes(inputs, layers)
    const order = job.order
    const n = job.data.n
    let sentAt = start
    hooks.signal?.throwIfAborted()
    // Python runs a whole epoch per round trip: an abort stops it there and then.
    const onAbort = () => this.proc.abort(hooks.signal?.reason)
    hooks.signal?.addEventListener('abort', onAbort, { once: true })
    const reply = await this.proc
      .request(
        {
          op: 'train',
          engine,
          model: { inputs, layers },
          loss: job.loss,
          optimizer: appliedOptimizer(job),
          schedule: appliedSchedule(job),
          epochs: job.epochs,
          batchSize: job.batchSize,
          data: splitMessage(job.data),
          validation: job.validation ? splitMessage(job.validation) : null,
          initialWeights: job.initialWeights ? torchWeights(job.initialWeights) : null,
          order: order ? encode(checkOrder(order(0), n, 0)) : null,
          seed: job.seed,
        },
        {
          onSent: () => {
            sentAt = performance.now()
          },
          onEvent: async (event, ask) => {
            const epoch = event.epoch as number
            const logs: EpochLogs = { loss: decodeNumber(event.loss) }
            if (event.valLoss !== undefined) logs.valLoss = decodeNumber(event.valLoss)
            if (event.lr !== undefined) logs.lr = event.lr as number
            // Weights cross the pipe only when core asks for them (snapshots, time to quality).
            const weights = async () => coreWeights((await ask({ weights: true })).weights, layerShapes)
            const stop = (await hooks.onEpochEnd(epoch, logs, weights)) === 'stop'
            const answer: Message = { stop }
            if (order && !stop && epoch + 1 < job.epochs)
              answer.order = encode(checkOrder(order(epoch + 1), n, epoch + 1))
            return answer
          },
        },
      )
      .finally(() => hooks.signal?.removeEventListener('abort', onAbort))
    return {
      weights: coreWeights(reply.weights, layerShapes),
      steps: reply.steps as number,
      // Checks, encoding and (on first use) starting python, then python's own model and optimizer set-up.
      setupMs: sentAt - start + (reply.setupMs as number),
    }
  }

  settings(job: TrainJob): TrainSettings {
    const o = appliedOptimizer(job)
    const schedule = appliedSchedule(job)
    const rmsprop = o.name === 'rmsprop'
    return {
      initializer: job.initialWeights
        ? 'given'
        : "nn.Linear's own: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) weight and bias, after torch.manual_seed(seed)",
      order: job.order ? 'given' : 'DataLoader(shuffle=True), after torch.manual_seed(seed)',
      batchSize: job.batchSize,
      // torch.optim.Adam(W) adds eps to sqrt(v) divided by sqrt(1 - beta2^t), i.e. to sqrt(v_hat);
      // the worker's KerasAdam to sqrt(v) (eps_hat).
      epsilon: o.name === 'adam' || o.name === 'adamw' ? { value: o.eps, placement: o.adamEpsilon } : null,
      optimizer: {
        name: o.name,
        rootEpsilon: rmsprop || o.name === 'adagrad' ? { value: o.eps, placement: o.rootEpsilon } : null,
        momentum:
          (rmsprop || o.name === 'sgd') && o.momentum > 0
            ? { value: o.momentum, form: o.momentumForm, nesterov: o.nesterov }
            : null,
        rho: rmsprop ? o.rho : null,
        centered: rmsprop ? o.centered : null,
        initialAccumulator: o.name === 'adagrad' ? o.initialAccumulator : null,
        weightDecay: o.weightDecay > 0 ? { value: o.weightDecay, form: o.decay } : null,
        schedule: schedule ? { name: schedule.name, semantics: schedule.semantics } : null,
      },
      // nn.MSELoss, L1Loss, HuberLoss, CrossEntropyLoss and BCEWithLogitsLoss default to
      // reduction='mean'; the worker's Keras forms (fromLogits false) take the mean too.
      lossReduction: 'mean',
      // The worker's criterion_for: nn.CrossEntropyLoss / BCEWithLogitsLoss on logits clip
      // nothing; with fromLogits false, Keras' clipped form in torch ops: the spec's request.
      ...probabilitiesOf(job.loss),
    }
  }

  async predict(model: TrainedModel, x: Float32Array, engine: string): Promise<Float32Array> {
    const id = checkEngine(engine)
    checkModel(model)
    const n = rowsOf(x, model.inputs)
    const outputs = model.layers[model.layers.length - 1]?.units ?? 0
    const reply = await this.proc.request({
      op: 'predict',
      engine: id,
      model: modelMessage(model),
      n,
      x: encode(x),
    })
    return decodeF32(reply.y as string, n * outputs, 'pytorch: predictions')
  }

  async save(model: TrainedModel, format: string): Promise<Record<string, Uint8Array>> {
    if (format !== 'pt')
      throw new UserError(`format '${format}': expected one of ${this.saveFormats.join(', ')}`)
    checkModel(model)
    const reply = await this.proc.request({ op: 'save', model: modelMessage(model) })
    const bytes = Buffer.from(reply.data as string, 'base64')
    return { 'model.pt': new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) }
  }

  async dispose(): Promise<void> {
    await this.proc.close()
  }
}

export function createBackend(options: PyTorchOptions = {}): PyTorchBackend {
  return new PyTorchBackend(options)
}
