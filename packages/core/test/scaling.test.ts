import { describe, expect, it } from 'vitest'
import {
  type DataSplit,
  fitScaler,
  initialWeights,
  scaleSplit,
  type TrainedModel,
  unscaleModel,
} from '../src/index.js'

/** Dense forward pass in float64 with tanh hidden layers and a linear output. */
function forward(model: TrainedModel, x: number[]): number[] {
  let h = x
  model.weights.forEach((w, l) => {
    const out = Array.from({ length: w.units }, (_, j) => {
      let s = w.bias[j] as number
      for (let i = 0; i < w.inputs; i++) s += (h[i] as number) * (w.kernel[i * w.units + j] as number)
      return l < model.weights.length - 1 ? Math.tanh(s) : s
    })
    h = out
  })
  return h
}

const data: DataSplit = {
  n: 4,
  inputs: 2,
  outputs: 1,
  x: Float32Array.from([100, 1, 200, 3, 300, 5, 400, 7]),
  y: Float32Array.from([10, 20, 30, 60]),
}

describe('standardization', () => {
  it('fits the mean and population sd of each column (StandardScaler), leaving unscaled parts alone', () => {
    const s = fitScaler(data, { x: true, y: false })
    expect(Array.from(s.x?.mean ?? [])).toEqual([250, 4])
    expect(s.x?.scale[0]).toBeCloseTo(Math.sqrt(12500), 9)
    expect(s.x?.scale[1]).toBeCloseTo(Math.sqrt(5), 9)
    expect(s.y).toBeNull()
    const z = scaleSplit(data, s)
    expect(z.y).toBe(data.y)
    expect(z.x[0]).toBeCloseTo(-150 / Math.sqrt(12500), 6)
  })

  it('keeps a constant column finite (scale 1)', () => {
    const s = fitScaler({ ...data, y: Float32Array.from([5, 5, 5, 5]) }, { x: false, y: true })
    expect(Array.from(scaleSplit({ ...data, y: Float32Array.from([5, 5, 5, 5]) }, s).y)).toEqual([0, 0, 0, 0])
  })

  it('folds x and y scaling into the weights: the raw model equals scale -> model -> unscale', () => {
    const layers = [
      { units: 3, activation: 'tanh' as const },
      { units: 1, activation: 'linear' as const },
    ]
    const model: TrainedModel = { inputs: 2, layers, weights: initialWeights('torch', 2, layers, 7) }
    const s = fitScaler(data, { x: true, y: true })
    const raw = unscaleModel(model, s)
    for (const row of [
      [100, 1],
      [250, 4],
      [1000, -3],
    ]) {
      const z = row.map((v, i) => (v - (s.x?.mean[i] as number)) / (s.x?.scale[i] as number))
      const expected = (forward(model, z)[0] as number) * (s.y?.scale[0] as number) + (s.y?.mean[0] as number)
      expect(forward(raw, row)[0]).toBeCloseTo(expected, 3)
      expect(Math.abs((forward(raw, row)[0] as number) - expected) / Math.abs(expected)).toBeLessThan(1e-5)
    }
  })

  it('returns the model unchanged when nothing is scaled', () => {
    const layers = [{ units: 1, activation: 'linear' as const }]
    const model: TrainedModel = { inputs: 2, layers, weights: initialWeights('keras', 2, layers, 0) }
    expect(unscaleModel(model, fitScaler(data, { x: false, y: false }))).toBe(model)
  })
})
