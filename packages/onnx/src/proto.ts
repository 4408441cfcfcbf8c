/**
 * A thin builder over onnx-proto: every graph dualfit writes (export, forward, training)
 * goes through it, so opset, IR version and naming live in one place.
 */
import onnxProto from 'onnx-proto'

export const { onnx } = onnxProto
export type ModelProto = onnxProto.onnx.ModelProto
export type TensorProto = onnxProto.onnx.ITensorProto
export type NodeProto = onnxProto.onnx.INodeProto
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto

/** Opset 17 (ONNX 1.12): ReduceSum takes axes as an input, ReduceMean still as an attribute. */
export const OPSET = 17
const IR_VERSION = 8
export const FLOAT = onnx.TensorProto.DataType.FLOAT
const INT64 = onnx.TensorProto.DataType.INT64
/** The symbolic batch dimension: one session serves every batch size. */
export const BATCH = 'batch'

export type Dim = number | string
export type Attr = { int: number } | { ints: number[] } | { float: number }

function valueInfo(name: string, dims: Dim[]) {
  const shape = { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) }
  return { name, type: { tensorType: { elemType: FLOAT, shape } } }
}

function attribute(name: string, a: Attr) {
  const T = onnx.AttributeProto.AttributeType
  if ('int' in a) return { name, type: T.INT, i: a.int }
  if ('ints' in a) return { name, type: T.INTS, ints: a.ints }
  return { name, type: T.FLOAT, f: a.float }
}

export class GraphBuilder {
  private readonly nodes: NodeProto[] = []
  private readonly inputs: ReturnType<typeof valueInfo>[] = []
  private readonly outputs: ReturnType<typeof valueInfo>[] = []
  private readonly initializers: TensorProto[] = []
  private readonly constants = new Map<string, string>()

  constructor(private readonly name: string) {}

  input(name: string, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, dims))
    return name
  }

  /** Declares `value` (a node output) as the graph output `name`, renaming it through Identity if needed. */
  output(value: string, name: string, dims: Dim[]): void {
    if (value !== name) this.node('Identity', [value], {}, name)
    this.outputs.push(valueInfo(name, dims))
  }

  initializer(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: rawBytes(data) })
    return name
  }

  /** A float32 scalar (broadcasts against anything), shared by every node that needs the same value. */
  scalar(value: number): string {
    return this.constant(`f${value}`, (name) => this.initializer(name, [], Float32Array.of(value)))
  }

  /** A float32 vector, shared like scalar(). */
  floats(values: number[]): string {
    return this.constant(`f[${values.join(',')}]`, (name) =>
      this.initializer(name, [values.length], Float32Array.from(values)),
    )
  }

  /** An int64 vector, for the inputs opset 13+ takes as tensors (ReduceSum's axes). */
  int64s(values: number[]): string {
    return this.constant(`i${values.join(',')}`, (name) =>
      this.initializers.push({ name, dims: [values.length], dataType: INT64, int64Data: values }),
    )
  }

  /** The initializer for `key`, made by `make` the first time. */
  private constant(key: string, make: (name: string) => unknown): string {
    let name = this.constants.get(key)
    if (!name) {
      name = `const_${this.constants.size}`
      make(name)
      this.constants.set(key, name)
    }
    return name
  }

  /** Adds a node with one output and returns that output's name. */
  node(
    op: string,
    inputs: string[],
    attrs: Record<string, Attr> = {},
    output = `${op.toLowerCase()}_${this.nodes.length}`,
  ) {
    this.nodes.push({
      opType: op,
      name: `${op}_${this.nodes.length}`,
      input: inputs,
      output: [output],
      attribute: Object.entries(attrs).map(([k, a]) => attribute(k, a)),
    })
    return output
  }

  /** The model's bytes; `metadata` becomes its metadata_props (key-value strings any runtime keeps). */
  encode(docString: string, metadata: Record<string, string> = {}): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'dualfit',
      docString,
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.name,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
      },
    })
    return onnx.ModelProto.encode(model).finish()
  }
}

/** Little-endian float32 bytes, the layout ONNX's raw_data uses. */
function rawBytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4)
  const view = new DataView(out.buffer)
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i] as number, true)
  return out
}
