/**
 * Turns a recorded tape into an ONNX graph, keeps one ORT session per (engine, graph shape, loss)
 * in the parameters' Runtime, and runs it. Weights are session inputs, so training 45,000 steps
 * reuses a handful of sessions.
 */
import { type LossSpec, UserError } from '@dualfit/core'
import {
  buildForwardGraph,
  buildTrainingGraph,
  type Feeds,
  gradName,
  isOrtEngine,
  LOSS,
  loadEngine,
  type NetOp,
  ORT_ENGINES,
  type OrtEngine,
  type OrtEngineId,
  type OrtSession,
  type OrtTensor,
  paramName,
} from '@dualfit/onnx'
import type { Parameter, Tensor } from './tensor.js'

export function checkEngine(id: string): OrtEngineId {
  if (!isOrtEngine(id)) throw new UserError(`engine '${id}': expected one of ${ORT_ENGINES.join(', ')}`)
  return id
}

/** A recorded tape, unrolled into the chain the graph builders take and the tensors to feed. */
interface Program {
  runtime: Runtime
  engine: OrtEngineId
  x: Tensor
  ops: NetOp[]
  /** Each linear op's parameters, in graph order (dense0, dense1, ...). */
  linears: { weight: Parameter; bias: Parameter }[]
  loss: { spec: LossSpec; target: Tensor } | null
  /** The graph's shape: everything but the batch size and the values. */
  key: string
}

/** Walks the tape from its result back to the input. Runs every step, so it stays lean. */
function trace(root: Tensor): Program {
  const ops: NetOp[] = []
  const linears: Program['linears'] = []
  let loss: Program['loss'] = null
  let key = 'y'
  let t = root
  if (t.creator?.op === 'loss') {
    loss = { spec: t.creator.loss, target: t.creator.target }
    key = `${loss.spec.name}:${loss.spec.delta}:${loss.spec.fromLogits}`
    t = t.creator.input
  }
  for (let c = t.creator; c; t = c.input, c = t.creator) {
    if (c.op === 'loss') throw new UserError('a loss can only be the last op of a graph')
    if (c.op === 'linear') {
      const [units, inputs] = c.weight.shape as [number, number]
      ops.push({ op: 'linear', inputs, units })
      linears.push({ weight: c.weight, bias: c.bias })
      key = `${units}>${key}`
    } else {
      ops.push({ op: c.op })
      key = `${c.op}>${key}`
    }
  }
  ops.reverse()
  linears.reverse()
  const engine = linears[0]?.weight.engine ?? 'cpu'
  const runtime = linears[0]?.weight.runtime ?? defaultRuntime
  for (const l of linears) {
    if (l.weight.engine !== engine || l.bias.engine !== engine) {
      throw new UserError(
        `parameters live on different engines (${engine}, ${l.weight.engine}); use model.to(engine)`,
      )
    }
    if (l.weight.runtime !== runtime || l.bias.runtime !== runtime) {
      throw new UserError('parameters belong to different runtimes; move the whole model with model.to()')
    }
  }
  return { runtime, engine, x: t, ops, linears, loss, key: `${engine}|${t.shape[1]}>${key}` }
}

interface Compiled {
  ort: OrtEngine
  session: OrtSession
}
/** The sessions of one owner (a Backend instance): released together, and only together. */
export class Runtime {
  readonly #ready = new Map<string, Compiled>()
  readonly #building = new Map<string, Promise<Compiled>>()

  /** The session for `p`, built once; a built one comes back without an await per step. */
  session(p: Program): Compiled | Promise<Compiled> {
    const c = this.#ready.get(p.key)
    if (c) return c
    let b = this.#building.get(p.key)
    if (!b) {
      b = (async () => {
        const ort = await loadEngine(p.engine)
        const net = { inputs: p.x.shape[1] as number, ops: p.ops }
        const session = await ort.session(
          p.loss ? buildTrainingGraph(net, p.loss.spec) : buildForwardGraph(net),
        )
        const built = { ort, session }
        this.#ready.set(p.key, built)
        return built
      })().finally(() => this.#building.delete(p.key))
      this.#building.set(p.key, b)
    }
    return b
  }

  async release(): Promise<void> {
    await Promise.allSettled(this.#building.values())
    const all = [...this.#ready.values()]
    this.#ready.clear()
    for (const c of all) await c.session.release()
  }
}

/** Where models moved with `.to(engine)` alone keep their sessions: the nn API outside a Backend. */
export const defaultRuntime = new Runtime()

/**
 * A fed tensor's array and shape never change (optimizers update a parameter's array in place, and
 * the Backend refills its batch tensors' arrays), so its ORT tensor is made once per engine: ORT
 * reads the current values at every run.
 */
const ortTensors = new WeakMap<Tensor, { engine: OrtEngineId; tensor: OrtTensor }>()
function ortTensor(ort: OrtEngine, t: Tensor): OrtTensor {
  let cached = ortTensors.get(t)
  if (cached?.engine !== ort.id) {
    cached = { engine: ort.id, tensor: ort.tensor(t.data, t.shape) }
    ortTensors.set(t, cached)
  }
  return cached.tensor
}

/** Graph names per linear op, made once rather than every step. */
const names: { weight: string; bias: string; weightGrad: string; biasGrad: string }[] = []
function namesOf(k: number) {
  let n = names[k]
  if (!n) {
    const weight = paramName(k, 'weight')
    const bias = paramName(k, 'bias')
    n = { weight, bias, weightGrad: gradName(weight), biasGrad: gradName(bias) }
    names[k] = n
  }
  return n
}

function feeds(ort: OrtEngine, p: Program): Feeds {
  const f: Feeds = { x: ortTensor(ort, p.x) }
  if (p.loss) f.y = ortTensor(ort, p.loss.target)
  p.linears.forEach(({ weight, bias }, k) => {
    const n = namesOf(k)
    f[n.weight] = ortTensor(ort, weight)
    f[n.bias] = ortTensor(ort, bias)
  })
  return f
}

export async function compile(root: Tensor): Promise<void> {
  const p = trace(root)
  await p.runtime.session(p)
}

/** Forward values of `root` (or its loss, without gradients). */
export async function evaluate(root: Tensor): Promise<Float32Array> {
  const p = trace(root)
  const ready = p.runtime.session(p)
  const { ort, session } = ready instanceof Promise ? await ready : ready
  const name = p.loss ? LOSS : 'y'
  const out = await session.run(feeds(ort, p), [name])
  return out[name]?.data as Float32Array
}

/** Runs the training graph; accumulates each parameter's gradient and returns the loss value. */
export async function backward(root: Tensor): Promise<Float32Array> {
  if (root.creator?.op !== 'loss')
    throw new UserError('backward(): expected a loss from a criterion such as nn.MSELoss()')
  const p = trace(root)
  const ready = p.runtime.session(p)
  const { ort, session } = ready instanceof Promise ? await ready : ready
  const out = await session.run(feeds(ort, p))
  p.linears.forEach(({ weight, bias }, k) => {
    const n = namesOf(k)
    weight.accumulateGrad(out[n.weightGrad]?.data as Float32Array)
    bias.accumulateGrad(out[n.biasGrad]?.data as Float32Array)
  })
  return out[LOSS]?.data as Float32Array
}
