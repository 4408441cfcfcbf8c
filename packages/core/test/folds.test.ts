import { describe, expect, it } from 'vitest'
import { batches, batchOrder, kFold, Rng } from '../src/index.js'

describe('kFold (scikit-learn KFold semantics)', () => {
  it('splits 7 samples into test folds of 3, 2, 2 in order without shuffle', () => {
    const folds = kFold(7, 3)
    expect(folds.map((f) => f.test)).toEqual([
      [0, 1, 2],
      [3, 4],
      [5, 6],
    ])
    expect(folds.map((f) => f.train)).toEqual([
      [3, 4, 5, 6],
      [0, 1, 2, 5, 6],
      [0, 1, 2, 3, 4],
    ])
  })

  it('shuffled folds are a seeded partition of all rows', () => {
    const a = kFold(10, 4, true, 3)
    expect(kFold(10, 4, true, 3)).toEqual(a)
    expect(kFold(10, 4, true, 4)).not.toEqual(a)
    expect(a.map((f) => f.test.length)).toEqual([3, 3, 2, 2])
    expect(a.flatMap((f) => f.test).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    for (const f of a)
      expect([...f.train, ...f.test].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('rejects k < 2 and k > n', () => {
    expect(() => kFold(7, 1)).toThrow(/k >= 2/)
    expect(() => kFold(2, 3)).toThrow(/at least k=3/)
  })
})

describe('batch order', () => {
  it('is a fresh seeded permutation per epoch, identical for the same seed', () => {
    const a = batchOrder(7, true, 0, 'all')
    const b = batchOrder(7, true, 0, 'all')
    expect(Array.from(a(0))).toEqual(Array.from(b(0)))
    expect(Array.from(a(0)).sort()).toEqual([0, 1, 2, 3, 4, 5, 6])
    const epochs = Array.from({ length: 10 }, (_, e) => Array.from(a(e)).join())
    expect(new Set(epochs).size).toBeGreaterThan(5)
    expect(Array.from(batchOrder(7, true, 1, 'all')(0))).not.toEqual(Array.from(a(0)))
  })

  it('keeps row order without shuffle', () => {
    expect(Array.from(batchOrder(4, false, 0)(9))).toEqual([0, 1, 2, 3])
  })

  it('cuts consecutive batches, the last one smaller', () => {
    const bs = batches(Uint32Array.from([4, 2, 0, 1, 3]), 2).map((b) => Array.from(b))
    expect(bs).toEqual([[4, 2], [0, 1], [3]])
  })
})

describe('Rng', () => {
  it('separates streams by key and reproduces each', () => {
    const x = new Rng(0, 'init').float()
    expect(new Rng(0, 'init').float()).toBe(x)
    expect(new Rng(0, 'order').float()).not.toBe(x)
    expect(new Rng(1, 'init').float()).not.toBe(x)
  })

  it('draws uniform floats in [0, 1) with a plausible mean and normals with unit variance', () => {
    const r = new Rng(42)
    const u = Array.from({ length: 20000 }, () => r.float())
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...u)).toBeLessThan(1)
    expect(Math.abs(u.reduce((a, b) => a + b) / u.length - 0.5)).toBeLessThan(0.01)
    const n = Array.from({ length: 20000 }, () => r.normal())
    const m = n.reduce((a, b) => a + b) / n.length
    const v = n.reduce((a, b) => a + (b - m) ** 2, 0) / n.length
    expect(Math.abs(m)).toBeLessThan(0.03)
    expect(Math.abs(v - 1)).toBeLessThan(0.05)
  })
})
