/** A PyTorch-like `nn`: modules record ops on tensors; ONNX Runtime computes them (see tensor.ts). */
import { initialWeights, type LayerWeights, type LossName, transpose, UserError } from '@dualfit/core'
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

function criterion(label: string, name: LossName, delta = 1): Criterion {
  return (input, target) => {
    if (input.shape.length !== target.shape.length || input.shape.some((d, i) => d !== target.shape[i])) {
      throw new UserError(`${label}: input [${input.shape}] and target [${target.shape}] differ in shape`)
    }
    return new Tensor([], null, { op: 'loss', loss: { name, delta }, input, target })
  }
}

export const MSELoss = (): Criterion => criterion('MSELoss', 'mse')
export const L1Loss = (): Criterion => criterion('L1Loss', 'mae')
export const HuberLoss = ({ delta = 1 }: { delta?: number } = {}): Criterion =>
  criterion('HuberLoss', 'huber', delta)
