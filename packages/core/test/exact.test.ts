import { describe, expect, it } from 'vitest'
import { builtinDataset, builtinDatasets, builtinTask, EXACT_FUNCTIONS, exactFunction } from '../src/index.js'

describe('exact functions', () => {
  it("are the built-in datasets' own: exact(x) is f(x), and y follows f where no table gives it", () => {
    const regression = builtinDatasets.filter((name) => builtinTask(name) === 'regression')
    expect(Object.keys(EXACT_FUNCTIONS).sort()).toEqual(regression.sort())
    for (const name of regression) {
      const fn = exactFunction(name)
      const d = builtinDataset(name, name === 'sin' || name === 'noisy-linear' ? 16 : undefined)
      for (const x of [-3, 0, 1.5, 100]) expect(d.exact?.([x])).toEqual([fn?.f(x)])
    }
    const c = builtinDataset('celsius-fahrenheit')
    expect(Array.from(c.y)).toEqual(
      Array.from(c.x, (x) => Math.fround(EXACT_FUNCTIONS['celsius-fahrenheit'].f(x))),
    )
  })

  it('label the formula, and know no other name', () => {
    expect(exactFunction('meters-feet')?.formula).toBe('y = 3.28084 x')
    expect(builtinDataset('meters-feet').description).toContain('(y = 3.28084 x)')
    for (const name of ['toString', '__proto__', 'data.csv']) expect(exactFunction(name)).toBeNull()
  })
})
