import { describe, expect, it } from 'vitest'
import { builtinDatasets, loadDataset, mae, mean, mse, sd, subset } from '../src/index.js'

describe('metrics', () => {
  it('computes MSE, MAE, mean and sample sd', () => {
    expect(mse([1, 2, 3], [1, 4, 0])).toBeCloseTo((0 + 4 + 9) / 3, 12)
    expect(mae([1, 2, 3], [1, 4, 0])).toBeCloseTo(5 / 3, 12)
    expect(mean([1, 2, 3, 4])).toBe(2.5)
    expect(sd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138, 3)
    expect(sd([5])).toBe(0)
    expect(() => mse([1], [1, 2])).toThrow(/equal/)
  })
})

describe('built-in datasets', () => {
  it("meters-feet is the seed's 7 points with the exact factor", () => {
    const d = loadDataset({ builtin: 'meters-feet' })
    expect(d.n).toBe(7)
    expect(Array.from(d.x)).toEqual([1, 8, 4, 5, 12, 10, 17])
    expect(d.exact?.([100])[0]).toBeCloseTo(328.084, 9)
    for (let i = 0; i < d.n; i++) expect(d.y[i]).toBeCloseTo((d.x[i] as number) * 3.28084, 4)
  })

  it('celsius-fahrenheit has a bias', () => {
    const d = loadDataset({ builtin: 'celsius-fahrenheit' })
    expect(d.exact?.([0])[0]).toBe(32)
    expect(d.exact?.([100])[0]).toBe(212)
    expect(builtinDatasets).toContain('celsius-fahrenheit')
  })

  it('inline data: rows, widths and errors naming the row', () => {
    const d = loadDataset({
      inline: {
        x: [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        y: [1, 2, 3],
      },
    })
    expect([d.n, d.inputs, d.outputs]).toEqual([3, 2, 1])
    expect(Array.from(subset(d, [2, 0]).x)).toEqual([5, 6, 1, 2])
    expect(() => loadDataset({ inline: { x: [[1, 2], [3]], y: [1, 2] } })).toThrow(
      'dataset.inline.x[1]: expected 2 value(s) like row 0, got 1',
    )
    expect(() => loadDataset({ inline: { x: [1, 2, 3], y: [1, 2] } })).toThrow(
      'dataset.inline.y: expected 3 rows like x, got 2',
    )
    expect(() => loadDataset({ builtin: 'nope' })).toThrow(/dataset.builtin: expected one of meters-feet/)
  })
})
