import {
  type Activation,
  type LayerWeights,
  MB,
  readBounded,
  type TrainedModel,
  UserError,
} from '@dualfit/core'
import { ACTIVATION_OPS } from './net.js'
import { type ModelProto, type NodeProto, onnx, type TensorProto, type ValueInfoProto } from './proto.js'

const ACTIVATION_OF = new Map(Object.entries(ACTIVATION_OPS).map(([a, op]) => [op, a as Activation]))

interface Tensor {
  dims: number[]
  data: Float32Array
}

function attr(node: NodeProto, name: string): { i: number; f: number } | undefined {
  const a = node.attribute?.find((x) => x.name === name)
  return a ? { i: Number(a.i ?? 0), f: a.f ?? 0 } : undefined
}

/**
 * Reads a regression model written by another tool into dualfit's plain form: a chain from one
 * input to one output of dense layers (Gemm, or MatMul then Add) each optionally followed by
 * Relu/Tanh/Sigmoid, with constant weights (what torch.onnx.export writes for nn.Linear stacks).
 * Anything else is a UserError naming `source` and the offending node.
 */
export function importOnnx(bytes: Uint8Array, source: string): TrainedModel {
  let model: ModelProto
  try {
    model = onnx.ModelProto.decode(bytes)
  } catch (e) {
    throw new UserError(`${source}: not a valid ONNX file (${(e as Error).message})`)
  }
  const graph = model.graph
  if (!graph?.node?.length) throw new UserError(`${source}: not a valid ONNX file (no graph nodes)`)
  const fail = (msg: string): never => {
    throw new UserError(`${source}: ${msg}`)
  }

  // Decoded only when a layer uses them: other exporters' unused int64 constants must not fail the load.
  const constants = new Map<string, TensorProto>()
  for (const t of graph.initializer ?? []) constants.set(t.name ?? '', t)
  // Older exporters also list initializers as graph inputs.
  const inputs = (graph.input ?? []).filter((i) => !constants.has(i.name ?? ''))
  const output = graph.output?.[0]
  if (inputs.length !== 1 || graph.output?.length !== 1 || !output) {
    fail(`expected one input and one output, got ${inputs.length} and ${graph.output?.length ?? 0}`)
  }
  const input = inputs[0] as ValueInfoProto
  const dims = input.type?.tensorType?.shape?.dim ?? []
  if (dims.length !== 2)
    fail(`input '${input.name}': expected shape [batch, features], got rank ${dims.length}`)
  const declared = dims[1]?.dimValue ? Number(dims[1].dimValue) : null

  const layers: { units: number; activation: Activation }[] = []
  const weights: LayerWeights[] = []
  let current = input.name ?? ''
  let width = declared
  /** A MatMul waiting for its Add. */
  let pendingMatMul: LayerWeights | null = null

  const addDense = (w: LayerWeights) => {
    weights.push(w)
    layers.push({ units: w.units, activation: 'linear' })
    width = w.units
  }
  const flush = () => {
    if (pendingMatMul) addDense(pendingMatMul)
    pendingMatMul = null
  }

  for (const node of graph.node) {
    const op = node.opType ?? ''
    const where = `node '${node.name || op}' (${op})`
    const ins = node.input ?? []
    const out = node.output?.[0] ?? ''
    if (op === 'Constant') {
      const t = node.attribute?.find((a) => a.name === 'value')?.t
      if (!t) fail(`${where}: only tensor constants are supported`)
      constants.set(out, t as TensorProto)
      continue
    }
    if (!ins.includes(current))
      fail(`${where}: does not read the previous layer's output; only chains are supported`)
    const other = (i: number, what: string) => {
      const t = constants.get(ins[i] ?? '')
      return t ? readTensor(t, source) : fail(`${where}: ${what} '${ins[i]}' must be a constant initializer`)
    }
    if (op === 'Gemm') {
      flush()
      if (ins[0] !== current || attr(node, 'transA')?.i)
        fail(`${where}: the data must be input A, not transposed`)
      const b = other(1, 'weight')
      if (b.dims.length !== 2) fail(`${where}: weight must be 2-D, got [${b.dims.join(', ')}]`)
      const transB = attr(node, 'transB')?.i === 1
      const [inputs, units] = (transB ? [b.dims[1], b.dims[0]] : b.dims) as [number, number]
      if (width !== null && inputs !== width)
        fail(`${where}: weight expects ${inputs} feature(s), got ${width}`)
      const alpha = attr(node, 'alpha')?.f ?? 1
      const beta = attr(node, 'beta')?.f ?? 1
      const kernel = new Float32Array(inputs * units)
      for (let i = 0; i < inputs; i++) {
        for (let u = 0; u < units; u++)
          kernel[i * units + u] = alpha * (b.data[transB ? u * inputs + i : i * units + u] as number)
      }
      const bias = ins[2] ? biasOf(other(2, 'bias'), units, where, fail) : new Float32Array(units)
      addDense({ inputs, units, kernel, bias: bias.map((v) => beta * v) })
    } else if (op === 'MatMul') {
      flush()
      if (ins[0] !== current) fail(`${where}: the data must be the first input`)
      const b = other(1, 'weight')
      if (b.dims.length !== 2) fail(`${where}: weight must be 2-D, got [${b.dims.join(', ')}]`)
      const [inputs, units] = b.dims as [number, number]
      if (width !== null && inputs !== width)
        fail(`${where}: weight expects ${inputs} feature(s), got ${width}`)
      pendingMatMul = { inputs, units, kernel: b.data.slice(), bias: new Float32Array(units) }
    } else if (op === 'Add') {
      if (!pendingMatMul) fail(`${where}: only an Add of a bias right after MatMul is supported`)
      const m = pendingMatMul as LayerWeights
      m.bias = biasOf(other(ins[0] === current ? 1 : 0, 'bias'), m.units, where, fail)
      flush()
    } else if (ACTIVATION_OF.has(op)) {
      flush()
      const last = layers[layers.length - 1]
      if (last?.activation !== 'linear') fail(`${where}: an activation must follow a dense layer`)
      ;(last as { activation: Activation }).activation = ACTIVATION_OF.get(op) as Activation
    } else if (op !== 'Identity') {
      fail(
        `unsupported op '${op}' in node '${node.name || op}' (supported: Gemm, MatMul, Add, ${[...ACTIVATION_OF.keys()].join(', ')})`,
      )
    }
    current = out
  }
  flush()
  if (current !== output?.name) fail(`output '${output?.name}' is not the end of the layer chain`)
  if (layers.length === 0) fail('no dense layer (Gemm or MatMul) found')
  return { inputs: (weights[0] as LayerWeights).inputs, layers, weights }
}

function biasOf(t: Tensor, units: number, where: string, fail: (m: string) => never): Float32Array {
  // Gemm's C broadcasts: [units], [1, units] or a scalar.
  if (t.data.length === units) return t.data.slice()
  if (t.data.length === 1) return new Float32Array(units).fill(t.data[0] as number)
  return fail(`${where}: bias has ${t.data.length} value(s), expected ${units}`)
}

function readTensor(t: TensorProto, source: string): Tensor {
  const dims = (t.dims ?? []).map(Number)
  const count = dims.reduce((a, b) => a * b, 1)
  const fail = (why: string): never => {
    throw new UserError(`${source}: tensor '${t.name}': ${why}`)
  }
  if (t.dataType !== onnx.TensorProto.DataType.FLOAT)
    fail(`expected float32 data, got ONNX data type ${t.dataType}`)
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) fail('external data files are not supported')
  let data: Float32Array
  if (t.rawData?.length) {
    if (t.rawData.length !== count * 4)
      fail(`raw data holds ${t.rawData.length} bytes, expected ${count * 4}`)
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength)
    data = Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true))
  } else {
    data = Float32Array.from(t.floatData ?? [])
    if (data.length !== count) fail(`holds ${data.length} value(s), expected ${count}`)
  }
  return { dims, data }
}

/** The largest model file read: the networks dualfit trains are a few KB to a few MB. */
const MODEL_LIMIT = 256 * MB

/** importOnnx on a file; a missing, special (FIFO, device) or oversized file is a UserError too. */
export async function readOnnxFile(path: string): Promise<TrainedModel> {
  return importOnnx(readBounded(path, `ONNX file '${path}'`, MODEL_LIMIT, 'an ONNX model'), path)
}
