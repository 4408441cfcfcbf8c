import { describe, expect, it } from 'vitest'
import { mean, median, min, perUnit, trimmedMean } from '../src/stats.js'

describe('median', () => {
  it('takes the middle value of an odd count, the mean of the two middle ones of an even count', () => {
    expect(median([5, 1, 3])).toBe(3)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([7])).toBe(7)
  })
  it('ignores non-finite samples and is NaN without any', () => {
    expect(median([1, Number.NaN, 3, Number.POSITIVE_INFINITY])).toBe(2)
    expect(median([])).toBeNaN()
  })
  it('does not reorder its input', () => {
    const xs = [3, 1, 2]
    median(xs)
    expect(xs).toEqual([3, 1, 2])
  })
})

describe('trimmedMean', () => {
  it('drops the fastest and the slowest of a few samples (MLPerf style)', () => {
    expect(trimmedMean([10, 1, 2, 3, 100])).toBe(5)
    expect(trimmedMean([1, 2, 3])).toBe(2)
  })
  it('drops the given fraction at each end of many samples', () => {
    const xs = Array.from({ length: 10 }, (_, i) => i + 1) // 1..10
    expect(trimmedMean(xs, 0.2)).toBe(5.5) // 3..8
    expect(trimmedMean([...xs, 1000, -1000], 0.25)).toBe(5.5) // drops 3 at each end
  })
  it('keeps every sample below three', () => {
    expect(trimmedMean([1, 3])).toBe(2)
    expect(trimmedMean([4])).toBe(4)
    expect(trimmedMean([])).toBeNaN()
  })
  it('rejects a trim of half or more', () => {
    expect(() => trimmedMean([1, 2, 3], 0.5)).toThrow(RangeError)
  })
})

describe('mean, min, perUnit', () => {
  it('are plain', () => {
    expect(mean([1, 2, 3, 6])).toBe(3)
    expect(min([3, 1, 2])).toBe(1)
    expect(min([])).toBeNaN()
    expect(perUnit(300, 3)).toBe(100)
    expect(perUnit(300, 0)).toBeNaN()
  })
})
