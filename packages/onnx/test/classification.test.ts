import { forwardRow, type LayerSpec, type TrainedModel, UserError } from '@dualfit/core'
import onnxProto from 'onnx-proto'
import { describe, expect, it } from 'vitest'
import { CLASSES_KEY, exportOnnx, importOnnx, predictOnnx, TASK_KEY } from '../src/index.js'
import { randomData } from './reference.js'

const { onnx } = onnxProto

/** 2 inputs -> 4 tanh -> `units` with the given last activation. */
function classifier(units: number, activation: LayerSpec['activation'] = 'linear'): TrainedModel {
  const layers: LayerSpec[] = [
    { units: 4, activation: 'tanh' },
    { units, activation },
  ]
  let inputs = 2
  const weights = layers.map((l, i) => {
    const w = {
      inputs,
      units: l.units,
      kernel: Float32Array.from(randomData(inputs, l.units, 30 + i, 2)),
      bias: Float32Array.from(randomData(1, l.units, 40 + i)),
    }
    inputs = l.units
    return w
  })
  return { inputs: 2, layers, weights }
}

const ops = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes).graph?.node?.map((n) => n.opType) ?? []
const metadata = (bytes: Uint8Array) =>
  Object.fromEntries(onnx.ModelProto.decode(bytes).metadataProps.map((p) => [p.key, p.value]))
const ROWS = 5
const x = Float32Array.from(randomData(ROWS, 2, 7, 3))
const IRIS = ['setosa', 'versicolor', 'virginica']

describe('exportOnnx of a classifier', () => {
  it.each(['cpu', 'wasm'] as const)(
    'appends Softmax to logits on request: probabilities that sum to 1 (%s)',
    async (engine) => {
      const logits = classifier(3)
      const bytes = exportOnnx(logits, { classification: { classes: IRIS, probabilities: true } })
      expect(ops(bytes)).toEqual(['Gemm', 'Tanh', 'Gemm', 'Softmax', 'Identity'])
      expect(metadata(bytes)).toEqual({ [TASK_KEY]: 'classification', [CLASSES_KEY]: JSON.stringify(IRIS) })
      const imported = importOnnx(bytes, 'iris.onnx')
      expect(imported.classes).toEqual(IRIS)
      expect(imported.layers.map((l) => l.activation)).toEqual(['tanh', 'softmax'])
      const y = await predictOnnx(imported, x, engine)
      expect(y).toHaveLength(ROWS * 3)
      for (let r = 0; r < ROWS; r++) {
        const row = Array.from(y.subarray(r * 3, r * 3 + 3))
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6)
        const want = forwardRow({ ...logits, layers: imported.layers }, x.subarray(r * 2, r * 2 + 2))
        row.forEach((p, k) => {
          expect(p).toBeCloseTo(want[k] as number, 6)
        })
      }
    },
  )

  it('appends Sigmoid to one logit: the second class probability', async () => {
    const logit = classifier(1)
    const bytes = exportOnnx(logit, { classification: { classes: ['no', 'yes'], probabilities: true } })
    expect(ops(bytes)).toEqual(['Gemm', 'Tanh', 'Gemm', 'Sigmoid', 'Identity'])
    const imported = importOnnx(bytes, 'binary.onnx')
    expect(imported.classes).toEqual(['no', 'yes'])
    const z = await predictOnnx(logit, x)
    const p = await predictOnnx(imported, x)
    p.forEach((v, r) => {
      expect(v).toBeCloseTo(1 / (1 + Math.exp(-(z[r] as number))), 6)
    })
  })

  it('keeps logits without probabilities, and a softmax layer as it is', () => {
    const logits = exportOnnx(classifier(3), { classification: { classes: IRIS, probabilities: false } })
    expect(ops(logits)).toEqual(['Gemm', 'Tanh', 'Gemm', 'Identity'])
    expect(importOnnx(logits, 'm').classes).toEqual(IRIS)
    const softmax = exportOnnx(classifier(3, 'softmax'), {
      classification: { classes: IRIS, probabilities: true },
    })
    expect(ops(softmax)).toEqual(['Gemm', 'Tanh', 'Gemm', 'Softmax', 'Identity'])
    // A regression model carries no classes.
    expect(importOnnx(exportOnnx(classifier(3)), 'm').classes).toBeUndefined()
  })

  it('refuses class names that do not fit the last layer, and a last layer that is no classifier', () => {
    expect(() =>
      exportOnnx(classifier(3), { classification: { classes: ['a', 'b'], probabilities: true } }),
    ).toThrow('classification.classes: expected 3 class name(s) for a last layer of 3 unit(s), got 2')
    expect(() =>
      exportOnnx(classifier(1), { classification: { classes: ['a'], probabilities: true } }),
    ).toThrow('classification.classes: expected 2 class name(s) for a last layer of 1 unit(s), got 1')
    expect(() =>
      exportOnnx(classifier(3, 'relu'), { classification: { classes: IRIS, probabilities: true } }),
    ).toThrow(UserError)
  })
})

describe('importOnnx of a classifier', () => {
  /** The exported bytes with `edit` applied to the decoded model. */
  function edited(edit: (m: onnxProto.onnx.ModelProto) => void): Uint8Array {
    const m = onnx.ModelProto.decode(
      exportOnnx(classifier(3), { classification: { classes: IRIS, probabilities: true } }),
    )
    edit(m)
    return onnx.ModelProto.encode(m).finish()
  }
  const softmaxAxis = (m: onnxProto.onnx.ModelProto) =>
    m.graph?.node?.find((n) => n.opType === 'Softmax')?.attribute?.[0] as onnxProto.onnx.AttributeProto

  it("reads Softmax over axis -1 (opset 13+'s default) and refuses axis 0", () => {
    const last = edited((m) => {
      softmaxAxis(m).i = -1
    })
    expect(importOnnx(last, 'm.onnx').layers[1]?.activation).toBe('softmax')
    const rows = edited((m) => {
      softmaxAxis(m).i = 0
    })
    expect(() => importOnnx(rows, 'm.onnx')).toThrow(
      /^m\.onnx: node 'Softmax_3' \(Softmax\): expected softmax over the last axis \(1 or -1\), got axis 0$/,
    )
  })

  it('names metadata that does not fit', () => {
    const classes = (value: string) =>
      edited((m) => {
        const p = m.metadataProps.find((e) => e.key === CLASSES_KEY) as onnxProto.onnx.StringStringEntryProto
        p.value = value
      })
    expect(() => importOnnx(classes('["a","b"]'), 'm.onnx')).toThrow(
      `m.onnx: metadata '${CLASSES_KEY}': expected a JSON array of 3 class name(s) for a last layer of 3 unit(s), got ["a","b"]`,
    )
    expect(() => importOnnx(classes('not json'), 'm.onnx')).toThrow(UserError)
    const task = edited((m) => {
      ;(m.metadataProps.find((e) => e.key === TASK_KEY) as onnxProto.onnx.StringStringEntryProto).value =
        'ranking'
    })
    expect(() => importOnnx(task, 'm.onnx')).toThrow(
      `m.onnx: metadata '${TASK_KEY}': expected 'classification', got 'ranking'`,
    )
  })
})
