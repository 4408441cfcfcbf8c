import { describe, expect, it } from 'vitest'
import { initialWeights } from '../src/index.js'

const layers = [
  { units: 16, activation: 'relu' as const },
  { units: 3, activation: 'linear' as const },
]

describe('initial weights', () => {
  it('keras: glorot uniform kernel within sqrt(6/(in+out)), zero bias', () => {
    const [w1, w2] = initialWeights('keras', 4, layers, 0)
    expect(w1?.kernel.length).toBe(64)
    expect(w2?.kernel.length).toBe(48)
    const lim = Math.sqrt(6 / 20)
    for (const v of w1?.kernel ?? []) expect(Math.abs(v)).toBeLessThanOrEqual(lim)
    expect(Array.from(w1?.bias ?? [])).toEqual(Array(16).fill(0))
  })

  it('torch: kernel and bias uniform within 1/sqrt(fan_in)', () => {
    const [w1, w2] = initialWeights('torch', 4, layers, 0)
    for (const v of [...(w1?.kernel ?? []), ...(w1?.bias ?? [])]) expect(Math.abs(v)).toBeLessThanOrEqual(0.5)
    for (const v of [...(w2?.kernel ?? []), ...(w2?.bias ?? [])])
      expect(Math.abs(v)).toBeLessThanOrEqual(0.25)
    expect(Array.from(w1?.bias ?? []).some((v) => v !== 0)).toBe(true)
  })

  it('tfjs: truncated glorot normal, within 2 sd', () => {
    const [w1] = initialWeights('tfjs', 200, [{ units: 200, activation: 'linear' }], 0)
    const sd = Math.sqrt(2 / 400)
    const k = Array.from(w1?.kernel ?? [])
    for (const v of k) expect(Math.abs(v)).toBeLessThanOrEqual(2 * sd + 1e-7)
    const std = Math.sqrt(k.reduce((a, v) => a + v * v, 0) / k.length)
    // A normal truncated at 2 sd has sd 0.88 of the untruncated one.
    expect(std / sd).toBeCloseTo(0.88, 1)
  })

  it('is identical for the same seed and stream, float32-exact, and differs otherwise', () => {
    const a = initialWeights('keras', 1, [{ units: 1, activation: 'linear' }], 7, 'fold', 0)
    const b = initialWeights('keras', 1, [{ units: 1, activation: 'linear' }], 7, 'fold', 0)
    expect(a).toEqual(b)
    expect(Math.fround(a[0]?.kernel[0] as number)).toBe(a[0]?.kernel[0])
    expect(initialWeights('keras', 1, [{ units: 1, activation: 'linear' }], 7, 'fold', 1)).not.toEqual(a)
    expect(initialWeights('keras', 1, [{ units: 1, activation: 'linear' }], 8, 'fold', 0)).not.toEqual(a)
  })
})
