import {
  type Activation,
  type LayerWeights,
  MB,
  readBounded,
  type TrainedModel,
  UserError,
} from '@dualfit/core'
import { CLASSES_KEY, classesOf, TASK_KEY } from './export.js'
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

/** A model read from ONNX, with the class names (in label order) of a classifier dualfit exported. */
export interface ImportedModel extends TrainedModel {
  classes?: string[]
}

/**
 * Reads a model written by dualfit or another tool into dualfit's plain form: a chain from one
 * input to one output of dense layers (Gemm, or MatMul then Add) each optionally followed by
 * Relu/Tanh/Sigmoid/Softmax (over the last axis), with constant weights (what torch.onnx.export
 * writes for nn.Linear stacks). Anything else is a UserError naming `source` and the offending node.
 */
export function importOnnx(bytes: Uint8Array, source: string): ImportedModel {
  const fail = (msg: string): never => {
    throw new UserError(`${source}: ${msg}`)
  }
  const { nodes, constants, input, output, declared, metadata } = openGraph(bytes, source, fail)
  const layers: { units: number; activation: Activation }[] = []
  const weights: LayerWeights[] = []
  let current = input
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

  for (const node of nodes) {
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
    const n: NodeRead = {
      node,
      where,
      ins,
      current,
      width,
      fail,
      constant: (i, what) => {
        const t = constants.get(ins[i] ?? '')
        return t
          ? readTensor(t, source)
          : fail(`${where}: ${what} '${ins[i]}' must be a constant initializer`)
      },
    }
    if (op === 'Gemm') {
      flush()
      addDense(gemmWeights(n))
    } else if (op === 'MatMul') {
      flush()
      if (ins[0] !== current) fail(`${where}: the data must be the first input`)
      const b = n.constant(1, 'weight')
      const [inputs, units] = weightShape(b, false, n)
      pendingMatMul = { inputs, units, kernel: b.data.slice(), bias: new Float32Array(units) }
    } else if (op === 'Add') {
      if (!pendingMatMul) fail(`${where}: only an Add of a bias right after MatMul is supported`)
      const m = pendingMatMul as LayerWeights
      m.bias = biasOf(n.constant(ins[0] === current ? 1 : 0, 'bias'), m.units, where, fail)
      flush()
    } else if (ACTIVATION_OF.has(op)) {
      flush()
      // Opset 13+ defaults to the last axis, older ones to axis 1: the same on [batch, units].
      const axis = attr(node, 'axis')?.i ?? -1
      if (op === 'Softmax' && axis !== 1 && axis !== -1)
        fail(`${where}: expected softmax over the last axis (1 or -1), got axis ${axis}`)
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
  if (current !== output) fail(`output '${output}' is not the end of the layer chain`)
  if (layers.length === 0) fail('no dense layer (Gemm or MatMul) found')
  const classes = classesIn(metadata, (layers[layers.length - 1] as { units: number }).units, fail)
  return { inputs: (weights[0] as LayerWeights).inputs, layers, weights, ...(classes ? { classes } : {}) }
}

/** The class names exportOnnx stored for a classifier, checked against its last layer; null for other models. */
function classesIn(
  metadata: Map<string, string>,
  units: number,
  fail: (m: string) => never,
): string[] | null {
  const task = metadata.get(TASK_KEY)
  if (task === undefined) return null
  if (task !== 'classification') fail(`metadata '${TASK_KEY}': expected 'classification', got '${task}'`)
  const want = classesOf(units)
  let classes: unknown
  try {
    classes = JSON.parse(metadata.get(CLASSES_KEY) ?? 'null')
  } catch {
    classes = null
  }
  if (!Array.isArray(classes) || classes.length !== want || !classes.every((c) => typeof c === 'string'))
    fail(
      `metadata '${CLASSES_KEY}': expected a JSON array of ${want} class name(s) for a last layer of ${units} unit(s), got ${metadata.get(CLASSES_KEY) ?? 'none'}`,
    )
  return classes as string[]
}

/** The decoded graph's nodes and constants, and its one input (with its declared width) and output. */
function openGraph(bytes: Uint8Array, source: string, fail: (m: string) => never) {
  let model: ModelProto
  try {
    model = onnx.ModelProto.decode(bytes)
  } catch (e) {
    throw new UserError(`${source}: not a valid ONNX file (${(e as Error).message})`)
  }
  const graph = model.graph
  if (!graph?.node?.length) throw new UserError(`${source}: not a valid ONNX file (no graph nodes)`)
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
  const metadata = new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']))
  return { nodes: graph.node, constants, input: input.name ?? '', output: output?.name, declared, metadata }
}

/** A node of the chain as the layer readers see it. */
interface NodeRead {
  node: NodeProto
  where: string
  ins: string[]
  /** The previous layer's output, and its width when known. */
  current: string
  width: number | null
  fail: (m: string) => never
  /** Input i's constant tensor; a computed one is refused. */
  constant: (i: number, what: string) => Tensor
}

/** [inputs, units] of a 2-D weight (transposed: [units, inputs]) that fits the previous layer. */
function weightShape(b: Tensor, transposed: boolean, n: NodeRead): [number, number] {
  if (b.dims.length !== 2) n.fail(`${n.where}: weight must be 2-D, got [${b.dims.join(', ')}]`)
  const [inputs, units] = (transposed ? [b.dims[1], b.dims[0]] : b.dims) as [number, number]
  if (n.width !== null && inputs !== n.width)
    n.fail(`${n.where}: weight expects ${inputs} feature(s), got ${n.width}`)
  return [inputs, units]
}

/** Gemm's Y = alpha * A B + beta * C as a dense layer (B maybe transposed, C broadcast). */
function gemmWeights(n: NodeRead): LayerWeights {
  if (n.ins[0] !== n.current || attr(n.node, 'transA')?.i)
    n.fail(`${n.where}: the data must be input A, not transposed`)
  const b = n.constant(1, 'weight')
  const transB = attr(n.node, 'transB')?.i === 1
  const [inputs, units] = weightShape(b, transB, n)
  const alpha = attr(n.node, 'alpha')?.f ?? 1
  const beta = attr(n.node, 'beta')?.f ?? 1
  const kernel = new Float32Array(inputs * units)
  for (let i = 0; i < inputs; i++) {
    for (let u = 0; u < units; u++)
      kernel[i * units + u] = alpha * (b.data[transB ? u * inputs + i : i * units + u] as number)
  }
  const bias = n.ins[2] ? biasOf(n.constant(2, 'bias'), units, n.where, n.fail) : new Float32Array(units)
  return { inputs, units, kernel, bias: bias.map((v) => beta * v) }
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
export async function readOnnxFile(path: string): Promise<ImportedModel> {
  return importOnnx(readBounded(path, `ONNX file '${path}'`, MODEL_LIMIT, 'an ONNX model'), path)
}
