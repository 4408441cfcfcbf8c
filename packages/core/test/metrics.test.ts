import { describe, expect, it } from 'vitest'
import { mae, mean, mse, sd } from '../src/index.js'

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
