import { type LossSpec, UserError } from '@dualfit/core'
import type { ActivationOp, OrtEngineId } from '@dualfit/onnx'
import { backward, compile, defaultRuntime, evaluate, type Runtime } from './runtime.js'

/** How a tensor was computed: the tape that forward() and the criterion record. */
export type Creator =
  | { op: 'linear'; input: Tensor; weight: Parameter; bias: Parameter }
  | { op: ActivationOp; input: Tensor }
  | { op: 'loss'; loss: LossSpec; input: Tensor; target: Tensor }

/**
 * A float32 tensor. Inputs and parameters hold values; results of nn ops are recorded, not computed:
 * ONNX Runtime evaluates the recorded graph at `backward()` (forward, loss and gradients in one
 * session run) or `compute()`. Shapes are checked when an op is recorded, as PyTorch does.
 */
export class Tensor {
  #values: Float32Array | null

  constructor(
    readonly shape: readonly number[],
    values: Float32Array | null,
    readonly creator: Creator | null = null,
  ) {
    this.#values = values
  }

  /** The values; throws while they are still pending (see `compute()`). */
  get data(): Float32Array {
    if (!this.#values) throw new Error('tensor not computed yet: await backward() or compute() first')
    return this.#values
  }

  get pending(): boolean {
    return this.#values === null
  }

  /** The single value of a one-element tensor, e.g. `loss.item()` after `await loss.backward()`. */
  item(): number {
    if (this.data.length !== 1)
      throw new UserError(`item(): expected a one-element tensor, got shape [${this.shape}]`)
    return this.data[0] as number
  }

  /** Evaluates the recorded graph in ONNX Runtime (once) and returns the values. */
  async compute(): Promise<Float32Array> {
    if (!this.#values) this.#values = await evaluate(this)
    return this.#values
  }

  /**
   * Computes the loss and adds d(loss)/d(parameter) to each parameter's `grad`, in one ORT run.
   * Like PyTorch, gradients accumulate until the optimizer's zeroGrad().
   */
  async backward(): Promise<void> {
    this.#values = await backward(this)
  }

  /** Builds (or finds cached) the ORT session this graph needs, without running it. */
  async compile(): Promise<void> {
    await compile(this)
  }
}

/** A trainable tensor (nn.Parameter). Optimizers update `data` in place. */
export class Parameter extends Tensor {
  grad: Tensor | null = null
  requiresGrad = true
  /** The ONNX Runtime engine that runs graphs over this parameter (set by Module.to()). */
  engine: OrtEngineId = 'cpu'
  /** Where the sessions over this parameter live (set by Module.to()). */
  runtime: Runtime = defaultRuntime

  constructor(shape: readonly number[], values: Float32Array) {
    super(shape, values)
  }

  /** Adds a freshly computed gradient (whose array this parameter may keep). */
  accumulateGrad(g: Float32Array): void {
    if (!this.requiresGrad) return
    if (!this.grad) {
      this.grad = new Tensor(this.shape, g)
      return
    }
    const acc = this.grad.data
    for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) + (g[i] as number)
  }
}

/** A tensor of the given values; shape defaults to 1-D. Rows are contiguous (row-major). */
export function tensor(values: ArrayLike<number>, shape: readonly number[] = [values.length]): Tensor {
  const size = shape.reduce((a, b) => a * b, 1)
  if (size !== values.length)
    throw new UserError(`tensor: shape [${shape}] needs ${size} value(s), got ${values.length}`)
  return new Tensor(shape, values instanceof Float32Array ? values : Float32Array.from(values))
}
