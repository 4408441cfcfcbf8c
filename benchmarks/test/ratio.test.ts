import { describe, expect, it } from 'vitest'
import { formatRatio, formatValue, ratio, ratioCell, withRatio } from '../src/ratio.js'
import type { BenchRow } from '../src/types.js'

const row = (over: Partial<BenchRow>): Omit<BenchRow, 'ratio'> => ({
  suite: 'scaling',
  key: 'scaling/1e6-full-mlp',
  case: 'N=1e6, full batch, MLP 1-64-64-1 ReLU',
  backend: 'torch-style',
  engine: 'cpu',
  default: true,
  unit: 'ms/epoch',
  value: 300,
  pytorch: 200,
  ...over,
})

describe('ratio', () => {
  it('is dualfit over PyTorch', () => {
    expect(ratio(300, 200)).toBe(1.5)
    expect(ratio(0, 200)).toBe(0)
  })
  it('is null when a figure is missing, not finite, or the reference is not positive', () => {
    expect(ratio(null, 200)).toBeNull()
    expect(ratio(300, null)).toBeNull()
    expect(ratio(undefined, 1)).toBeNull()
    expect(ratio(300, 0)).toBeNull()
    expect(ratio(Number.NaN, 1)).toBeNull()
    expect(ratio(1, Number.POSITIVE_INFINITY)).toBeNull()
    expect(ratio(-1, 1)).toBeNull()
  })
})

describe('formatRatio', () => {
  it('prints two significant digits below 10, three above', () => {
    expect(formatRatio(0.4234)).toBe('0.42x')
    expect(formatRatio(1.5)).toBe('1.5x')
    expect(formatRatio(1)).toBe('1x')
    expect(formatRatio(29.83)).toBe('29.8x')
  })
  it('says why a ratio is empty', () => {
    expect(formatRatio(null, 'no torch for /usr/bin/python3')).toBe('— (no torch for /usr/bin/python3)')
    expect(formatRatio(null)).toBe('—')
  })
})

describe('formatValue', () => {
  it('prints times as durations, memory in MB, speedups with x', () => {
    expect(formatValue(45.87, 'µs/step')).toBe('45.9 µs')
    expect(formatValue(1460, 'µs/step')).toBe('1.46 ms')
    expect(formatValue(218.4, 'ms/epoch')).toBe('218 ms')
    expect(formatValue(3280, 'ms')).toBe('3.28 s')
    expect(formatValue(1350.4, 'MB')).toBe('1,350 MB')
    expect(formatValue(105.2, 'MB')).toBe('105 MB')
    expect(formatValue(1.925, 'x')).toBe('1.93x')
    expect(formatValue(null, 'ms')).toBe('—')
    // A difference of times below zero (the queue's cost per trial, within noise) keeps its unit.
    expect(formatValue(-12.8, 'ms')).toBe('-12.8 ms')
  })
})

describe('withRatio and ratioCell', () => {
  it('fill in and print the ratio', () => {
    const r = withRatio(row({}))
    expect(r.ratio).toBe(1.5)
    expect(ratioCell(r)).toBe('1.5x')
  })
  it('print why when PyTorch is missing', () => {
    const r = withRatio(row({ pytorch: null, pytorchWhy: 'no python at /opt/py' }))
    expect(r.ratio).toBeNull()
    expect(ratioCell(r)).toBe('— (no python at /opt/py)')
  })
  it('say so when the dualfit run failed', () => {
    const r = withRatio(row({ value: null, error: 'boom' }))
    expect(ratioCell(r)).toBe('— (dualfit run failed)')
  })
})

describe('withRatio with a bare engine loop', () => {
  it("fills in dualfit's overhead (dualfit / bare) and the engine's ratio (bare / PyTorch)", () => {
    const r = withRatio(row({ value: 12, bare: 10, pytorch: 5 }))
    expect(r.overhead).toBeCloseTo(1.2)
    expect(r.engineRatio).toBe(2)
    expect(r.ratio).toBeCloseTo(2.4)
  })
  it('leaves them empty when a figure is missing, and absent without a bare loop', () => {
    const r = withRatio(row({ bare: null, pytorch: null }))
    expect([r.overhead, r.engineRatio]).toEqual([null, null])
    expect('overhead' in withRatio(row({}))).toBe(false)
  })
})
