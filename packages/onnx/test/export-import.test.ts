import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TrainedModel, transpose, UserError } from '@dualfit/core'
import onnxProto from 'onnx-proto'
import { describe, expect, it } from 'vitest'
import {
  buildForwardGraph,
  exportOnnx,
  importOnnx,
  linears,
  loadEngine,
  type Net,
  netOf,
  predictOnnx,
  readOnnxFile,
} from '../src/index.js'
import { forward64, randomData, relError } from './reference.js'

const { onnx } = onnxProto

/** 3 -> 4 tanh -> 2 relu -> 1, weights in core's [inputs, units] layout. */
function sampleModel(): TrainedModel {
  const layers = [
    { units: 4, activation: 'tanh' as const },
    { units: 2, activation: 'relu' as const },
    { units: 1, activation: 'linear' as const },
  ]
  let inputs = 3
  const weights = layers.map((l, i) => {
    const w = {
      inputs,
      units: l.units,
      kernel: Float32Array.from(randomData(inputs, l.units, 10 + i)),
      bias: Float32Array.from(randomData(1, l.units, 20 + i)),
    }
    inputs = l.units
    return w
  })
  return { inputs: 3, layers, weights }
}

/** What the training graphs see: weights transposed to [units, inputs]. */
function graphParams(m: TrainedModel) {
  return m.weights.map((w) => ({
    weight: Array.from(transpose(w.kernel, w.inputs, w.units)),
    bias: Array.from(w.bias),
  }))
}

describe('exportOnnx', () => {
  const model = sampleModel()
  const bytes = exportOnnx(model)
  const x = Float32Array.from(randomData(5, 3, 4))

  it('writes a standard opset >= 13 model with input x, output y and a dynamic batch axis', () => {
    const m = onnx.ModelProto.decode(bytes)
    expect(Number(m.opsetImport[0]?.version)).toBeGreaterThanOrEqual(13)
    const g = m.graph as onnxProto.onnx.GraphProto
    expect(g.input.map((i) => i.name)).toEqual(['x'])
    expect(g.output.map((o) => o.name)).toEqual(['y'])
    expect(g.input[0]?.type?.tensorType?.shape?.dim?.[0]?.dimParam).toBe('batch')
    expect(g.initializer).toHaveLength(6)
  })

  it.each(['cpu', 'wasm'] as const)(
    'loads in ORT (%s) and predicts what training-time graphs predict',
    async (engine) => {
      const ort = await loadEngine(engine)
      const exported = await ort.session(bytes)
      const forward = await ort.session(buildForwardGraph(netOf(3, model.layers)))
      const feeds: Record<string, ReturnType<typeof ort.tensor>> = { x: ort.tensor(x, [5, 3]) }
      linears(netOf(3, model.layers)).forEach((l, k) => {
        const w = model.weights[k] as TrainedModel['weights'][number]
        feeds[l.weight] = ort.tensor(transpose(w.kernel, w.inputs, w.units), [l.units, l.inputs])
        feeds[l.bias] = ort.tensor(w.bias, [l.units])
      })
      const got = (await exported.run({ x: feeds.x as ReturnType<typeof ort.tensor> })).y
        ?.data as Float32Array
      const training = (await forward.run(feeds)).y?.data as Float32Array
      expect(relError(got, training)).toBeLessThanOrEqual(1e-6)
      expect(
        relError(got, forward64(netOf(3, model.layers), graphParams(model), Array.from(x))),
      ).toBeLessThanOrEqual(1e-5)
      // Any batch size: one row too.
      const one = (await exported.run({ x: ort.tensor(x.subarray(0, 3), [1, 3]) })).y?.data as Float32Array
      expect(one[0]).toBe(got[0])
      await exported.release()
      await forward.release()
    },
  )

  it('gives the same predictions on onnxruntime-node and onnxruntime-web', async () => {
    expect(await predictOnnx(model, x, 'wasm')).toEqual(await predictOnnx(model, x, 'cpu'))
  })

  it('round-trips through importOnnx exactly', () => {
    expect(importOnnx(bytes, 'model.onnx')).toEqual(model)
  })

  it('rejects weights that do not fit the layers', () => {
    const bad = {
      ...model,
      weights: [
        { ...(model.weights[0] as TrainedModel['weights'][number]), units: 5 },
        ...model.weights.slice(1),
      ],
    }
    expect(() => exportOnnx(bad)).toThrow(/layer 0 expects a \[3, 4\] kernel/)
  })
})

/** Hand-written models in the shapes other exporters produce. */
function tensor(name: string, dims: number[], values: number[]) {
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: values }
}
function node(opType: string, input: string[], output: string, attrs: Record<string, number> = {}) {
  const T = onnx.AttributeProto.AttributeType
  const attribute = Object.entries(attrs).map(([name, v]) =>
    name === 'alpha' || name === 'beta' ? { name, type: T.FLOAT, f: v } : { name, type: T.INT, i: v },
  )
  return { opType, input, output: [output], name: `${opType}_${output}`, attribute }
}
function model(
  nodes: ReturnType<typeof node>[],
  initializers: ReturnType<typeof tensor>[],
  inputWidth = 2,
  output = 'output',
) {
  const info = (name: string, dims: (number | string)[]) => ({
    name,
    type: {
      tensorType: {
        elemType: 1,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  })
  const m = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'pytorch',
    graph: {
      name: 'main_graph',
      node: nodes,
      initializer: initializers,
      input: [info('input', ['batch_size', inputWidth])],
      output: [info(output, ['batch_size', 1])],
    },
  })
  return onnx.ModelProto.encode(m).finish()
}

// nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)) as torch.onnx.export writes it: Gemm with transB=1.
const W0 = [0.5, -1, 2, 0.25, -0.75, 1.5] // [3 out, 2 in]
const B0 = [0.1, 0.2, -0.3]
const W1 = [1, -2, 0.5] // [1 out, 3 in]
const B1 = [0.05]
const torchLike = () =>
  model(
    [
      node('Gemm', ['input', '0.weight', '0.bias'], '/0/Gemm_output_0', { alpha: 1, beta: 1, transB: 1 }),
      node('Relu', ['/0/Gemm_output_0'], '/1/Relu_output_0'),
      node('Gemm', ['/1/Relu_output_0', '2.weight', '2.bias'], 'output', { alpha: 1, beta: 1, transB: 1 }),
    ],
    [
      tensor('0.weight', [3, 2], W0),
      tensor('0.bias', [3], B0),
      tensor('2.weight', [1, 3], W1),
      tensor('2.bias', [1], B1),
    ],
  )

const TORCH_NET: Net = {
  inputs: 2,
  ops: [{ op: 'linear', inputs: 2, units: 3 }, { op: 'relu' }, { op: 'linear', inputs: 3, units: 1 }],
}
const expected = (x: number[]) =>
  forward64(
    TORCH_NET,
    [
      { weight: W0, bias: B0 },
      { weight: W1, bias: B1 },
    ],
    x,
  )

describe('importOnnx', () => {
  const x = [1, 2, -3, 0.5, 0.25, -1]

  it('reads a PyTorch-style Gemm(transB=1)/Relu graph and predicts with it', async () => {
    const m = importOnnx(torchLike(), 'torch.onnx')
    expect(m.layers).toEqual([
      { units: 3, activation: 'relu' },
      { units: 1, activation: 'linear' },
    ])
    const y = await predictOnnx(m, Float32Array.from(x))
    expect(relError(y, expected(x))).toBeLessThanOrEqual(1e-6)
  })

  it('reads MatMul+Add, Constant weights and Gemm with alpha/beta/transB=0', async () => {
    const kernel0 = Array.from(transpose(Float32Array.from(W0), 3, 2)) // [2 in, 3 out]
    const bias0 = {
      opType: 'Constant',
      input: [],
      output: ['b0'],
      name: 'bias0',
      attribute: [
        { name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: tensor('b0', [3], B0) },
      ],
    }
    const unusedInt64 = {
      name: 'shape',
      dims: [2],
      dataType: onnx.TensorProto.DataType.INT64,
      int64Data: [-1, 3],
    }
    const bytes = model(
      [
        bias0 as unknown as ReturnType<typeof node>,
        node('MatMul', ['input', 'k0'], 'h0'),
        node('Add', ['b0', 'h0'], 'h1'),
        node('Relu', ['h1'], 'h2'),
        // alpha 2 and beta 0.5 on halved / doubled weights give the same layer.
        node('Gemm', ['h2', 'k1', 'b1'], 'out', { alpha: 2, beta: 0.5, transB: 0 }),
        node('Identity', ['out'], 'output'),
      ],
      [
        tensor('k0', [2, 3], kernel0),
        unusedInt64 as unknown as ReturnType<typeof tensor>,
        tensor(
          'k1',
          [3, 1],
          W1.map((v) => v / 2),
        ),
        tensor('b1', [1, 1], [(B1[0] as number) * 2]),
      ],
    )
    const y = await predictOnnx(importOnnx(bytes, 'matmul.onnx'), Float32Array.from(x), 'wasm')
    expect(relError(y, expected(x))).toBeLessThanOrEqual(1e-6)
  })

  it('names an unsupported op and its node', () => {
    const bytes = model(
      [node('Gemm', ['input', 'w', 'b'], 'h', { transB: 1 }), node('LeakyRelu', ['h'], 'output')],
      [tensor('w', [1, 2], [1, 2]), tensor('b', [1], [0])],
    )
    expect(() => importOnnx(bytes, 'leaky.onnx')).toThrow(
      /^leaky\.onnx: unsupported op 'LeakyRelu' in node 'LeakyRelu_output'/,
    )
    expect(() => importOnnx(bytes, 'leaky.onnx')).toThrow(UserError)
  })

  it('names a shape mismatch between layers', () => {
    const bytes = model(
      [
        node('Gemm', ['input', 'w', 'b'], 'h', { transB: 1 }),
        node('Gemm', ['h', 'w2', 'b2'], 'output', { transB: 1 }),
      ],
      [tensor('w', [3, 2], W0), tensor('b', [3], B0), tensor('w2', [1, 2], [1, 1]), tensor('b2', [1], [0])],
    )
    expect(() => importOnnx(bytes, 'm.onnx')).toThrow(
      /node 'Gemm_output' \(Gemm\): weight expects 2 feature\(s\), got 3/,
    )
  })

  it('rejects a corrupt file and a missing file with one-line UserErrors', async () => {
    const corrupt = torchLike().slice(0, 40)
    expect(() => importOnnx(corrupt, 'cut.onnx')).toThrow(/^cut\.onnx: not a valid ONNX file/)
    expect(() => importOnnx(new TextEncoder().encode('hello, not onnx'), 'text.onnx')).toThrow(
      /^text\.onnx: not a valid ONNX file/,
    )
    await expect(readOnnxFile('/nonexistent/model.onnx')).rejects.toThrow(
      "ONNX file '/nonexistent/model.onnx': cannot read (no such file)",
    )
    const dir = await mkdtemp(join(tmpdir(), 'dualfit-onnx-'))
    try {
      await writeFile(join(dir, 'ok.onnx'), torchLike())
      expect((await readOnnxFile(join(dir, 'ok.onnx'))).inputs).toBe(2)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('rejects prediction inputs that are not whole rows', async () => {
    await expect(predictOnnx(importOnnx(torchLike(), 't'), Float32Array.of(1, 2, 3))).rejects.toThrow(
      'x: expected rows of 2 value(s), got 3 value(s)',
    )
  })
})
