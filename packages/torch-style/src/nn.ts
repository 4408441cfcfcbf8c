/** A PyTorch-like `nn`: modules record ops on tensors; ONNX Runtime computes them (see tensor.ts). */
import { initialWeights, type LayerWeights, type LossSpec, transpose, UserError } from '@dualfit/core'
import type { ActivationOp } from '@dualfit/onnx'
import { checkEngine, defaultRuntime, type Runtime } from './runtime.js'
import { Parameter, Tensor } from './tensor.js'

let generator = { seed: 0, draws: 0 }

/** torch.manual_seed: seeds the default initialization of the modules created after it. */
export function manualSeed(seed: number): void {
  generator = { seed, draws: 0 }
}

export abstract class Module {
  training = true

  abstract forward(x: Tensor): Tensor

  /** Direct sub-modules, in order (PyTorch's children()). */
  children(): Module[] {
    return []
  }

  /** This module's own parameters; parameters() adds those of its children. */
  protected ownParameters(): Parameter[] {
    return []
  }

  parameters(): Parameter[] {
    return [...this.ownParameters(), ...this.children().flatMap((c) => c.parameters())]
  }

  /** Sets training mode here and below (no layer here behaves differently yet; kept for the idiom). */
  train(mode = true): this {
    this.training = mode
    for (const c of this.children()) c.train(mode)
    return this
  }

  eval(): this {
    return this.train(false)
  }

  /**
   * Moves the parameters to an ONNX Runtime engine: 'cpu', 'wasm', 'webgpu' or 'cuda'. A Backend
   * passes its own Runtime, so that disposing it releases its sessions and no one else's.
   */
  to(engine: string, runtime: Runtime = defaultRuntime): this {
    const id = checkEngine(engine)
    for (const p of this.parameters()) {
      p.engine = id
      p.runtime = runtime
    }
    return this
  }
}

/**
 * y = x W^T + b, W is [outFeatures, inFeatures]. Initialized U(-1/sqrt(in), 1/sqrt(in)) like PyTorch,
 * or from `init` (core's layout, kernel [inputs, units]) without touching the seeded generator.
 */
export class Linear extends Module {
  readonly weight: Parameter
  readonly bias: Parameter

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    init?: LayerWeights,
  ) {
    super()
    if (init && (init.inputs !== inFeatures || init.units !== outFeatures)) {
      throw new UserError(
        `Linear(${inFeatures}, ${outFeatures}): initial weights are [${init.inputs}, ${init.units}]`,
      )
    }
    // core's 'torch' initializer is nn.Linear.reset_parameters; it stores the kernel as [in, out].
    const layer = [{ units: outFeatures, activation: 'linear' as const }]
    init ??= initialWeights(
      'torch',
      inFeatures,
      layer,
      generator.seed,
      'nn.Linear',
      generator.draws++,
    )[0] as LayerWeights
    this.weight = new Parameter([outFeatures, inFeatures], transpose(init.kernel, inFeatures, outFeatures))
    this.bias = new Parameter([outFeatures], init.bias.slice())
  }

  protected override ownParameters(): Parameter[] {
    return [this.weight, this.bias]
  }

  forward(x: Tensor): Tensor {
    if (x.shape.length !== 2 || x.shape[1] !== this.inFeatures) {
      throw new UserError(
        `Linear(${this.inFeatures}, ${this.outFeatures}): expected input [batch, ${this.inFeatures}], got [${x.shape}]`,
      )
    }
    return new Tensor([x.shape[0] as number, this.outFeatures], null, {
      op: 'linear',
      input: x,
      weight: this.weight,
      bias: this.bias,
    })
  }
}

abstract class Activation extends Module {
  protected abstract readonly op: ActivationOp
  forward(x: Tensor): Tensor {
    return new Tensor(x.shape, null, { op: this.op, input: x })
  }
}

export class ReLU extends Activation {
  protected readonly op = 'relu'
}
export class Tanh extends Activation {
  protected readonly op = 'tanh'
}
export class Sigmoid extends Activation {
  protected readonly op = 'sigmoid'
}
/** nn.Softmax over the class axis of [batch, classes]: dim 1 (or -1, the same axis). */
export class Softmax extends Activation {
  protected readonly op = 'softmax'
  constructor(readonly dim = 1) {
    super()
    if (dim !== 1 && dim !== -1)
      throw new UserError(`Softmax(dim=${dim}): expected dim 1 or -1 (the class axis)`)
  }
}

export class Sequential extends Module {
  readonly modules: Module[]

  constructor(...modules: Module[]) {
    super()
    this.modules = modules
  }

  override children(): Module[] {
    return this.modules
  }

  forward(x: Tensor): Tensor {
    return this.modules.reduce((h, m) => m.forward(h), x)
  }
}

/** A loss: criterion(input, target) records the mean loss (reduction 'mean', PyTorch's default). */
export type Criterion = (input: Tensor, target: Tensor) => Tensor

const record = (loss: LossSpec, input: Tensor, target: Tensor) =>
  new Tensor([], null, { op: 'loss', loss, input, target })

/** A criterion whose target has the input's shape: the regression losses and the binary ones. */
function elementwise(label: string, loss: LossSpec): Criterion {
  return (input, target) => {
    if (input.shape.length !== target.shape.length || input.shape.some((d, i) => d !== target.shape[i])) {
      throw new UserError(`${label}: input [${input.shape}] and target [${target.shape}] differ in shape`)
    }
    return record(loss, input, target)
  }
}

/**
 * A criterion of input [batch, classes] and target class indices [batch] or [batch, 1] (floats
 * holding 0 .. classes-1; the graph takes them as [batch, 1]). Indices are checked as PyTorch's
 * nll_loss checks them, since the graph would silently score an unknown class 0.
 */
function classIndices(label: string, loss: LossSpec): Criterion {
  return (input, target) => {
    const [rows, classes] = input.shape as [number, number]
    if (
      input.shape.length !== 2 ||
      target.shape[0] !== rows ||
      (target.shape[1] ?? 1) !== 1 ||
      target.shape.length > 2
    )
      throw new UserError(
        `${label}: expected input [batch, classes] and target [batch] or [batch, 1], got [${input.shape}] and [${target.shape}]`,
      )
    const labels = target.data
    for (let i = 0; i < labels.length; i++) {
      const c = labels[i] as number
      if (!(Number.isInteger(c) && c >= 0 && c < classes))
        throw new UserError(`${label}: target ${c} (row ${i}) is not a class index in 0..${classes - 1}`)
    }
    return record(loss, input, target.shape.length === 2 ? target : new Tensor([rows, 1], labels))
  }
}

export const MSELoss = (): Criterion => elementwise('MSELoss', { name: 'mse', delta: 1 })
export const L1Loss = (): Criterion => elementwise('L1Loss', { name: 'mae', delta: 1 })
export const HuberLoss = ({ delta = 1 }: { delta?: number } = {}): Criterion =>
  elementwise('HuberLoss', { name: 'huber', delta })
/** nn.CrossEntropyLoss: logits in, class indices as target; mean of logsumexp(z) - z[y]. */
export const CrossEntropyLoss = (): Criterion =>
  classIndices('CrossEntropyLoss', { name: 'cross_entropy', delta: 1, fromLogits: true })
/** nn.BCEWithLogitsLoss: one logit per row in, 0/1 targets of the same shape. */
export const BCEWithLogitsLoss = (): Criterion =>
  elementwise('BCEWithLogitsLoss', { name: 'binary_cross_entropy', delta: 1, fromLogits: true })
/**
 * Not a PyTorch criterion: Keras' categorical_crossentropy(from_logits=False) on the probabilities
 * of an nn.Softmax layer, p / sum(p) clipped to [1e-7, 1 - 1e-7] before the log (tfjs-layers
 * losses.ts). PyTorch's nearest is NLLLoss on log(p.clamp(1e-7, 1 - 1e-7)).
 */
export const KerasCategoricalCrossentropy = (): Criterion =>
  classIndices('KerasCategoricalCrossentropy', { name: 'cross_entropy', delta: 1, fromLogits: false })
/**
 * Not a PyTorch criterion: Keras' binary_crossentropy on the probabilities of an nn.Sigmoid layer,
 * clipped to [1e-7, 1 - 1e-7]. nn.BCELoss differs: it clamps each log at -100 instead.
 */
export const KerasBinaryCrossentropy = (): Criterion =>
  elementwise('KerasBinaryCrossentropy', { name: 'binary_cross_entropy', delta: 1, fromLogits: false })
