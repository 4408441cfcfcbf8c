import { describe, expect, it } from 'vitest'
import { rangeProblem, underflowProblem } from '../src/index.js'
import { f32, fixtures } from './helpers.js'

const { read, fail } = fixtures()
const xy = { x: ['a'], y: ['b'] }
const roundsTo0 = 'is not zero but rounds to 0 in float32 (the smallest normal float32 is 1.18e-38)'
const subnormal = 'is not zero but rounds to a subnormal in float32 (the smallest normal float32 is 1.18e-38)'

describe('values float32 turns into 0 or a subnormal', () => {
  it.each([
    [1e-50, `1e-50 ${roundsTo0}`],
    [-1e-50, `-1e-50 ${roundsTo0}`],
    [1e-40, `1e-40 ${subnormal}`],
    [-2e-45, `-2e-45 ${subnormal}`],
    // Just below 2^-126, it rounds to a subnormal; rounding decides, not the literal.
    [1.1754942e-38, `1.1754942e-38 ${subnormal}`],
  ])('rangeProblem(%s) names the value and the bound', (v, message) => {
    expect(rangeProblem(v)).toBe(message)
  })

  it.each([0, -0, 1.1754943508222875e-38, 1.2e-38, -1.2e-38, 1e-30, 3.4028235e38])('keeps %s', (v) => {
    expect(rangeProblem(v)).toBeNull()
    expect(underflowProblem(v)).toBeNull()
  })

  it('quotes the text as written when given', () => {
    expect(rangeProblem(1e-50, ' 0.1e-49 ')).toBe(`0.1e-49 ${roundsTo0}`)
  })

  it.each([
    ['u.csv', 'a,b\n1,2\n3,1e-50\n'],
    ['u.tsv', 'a\tb\n1\t2\n3\t1e-50\n'],
    ['u.json', '[{"a":1,"b":2},{"a":3,"b":1e-50}]'],
  ])('a data cell of 1e-50 is an error naming file, row and column (%s)', async (name, content) => {
    const message = await fail(name, content, xy)
    expect(message).toMatch(
      new RegExp(`^${name.replace('.', '\\.')}: (row 2 \\(line 3\\)|record 2), column "b": `),
    )
    expect(message).toContain(`1e-50 ${roundsTo0}`)
  })

  it('in JSON Lines, and in an input column', async () => {
    expect(await fail('u.jsonl', '{"a":1,"b":2}\n{"a":1e-40,"b":2}\n', xy)).toBe(
      `u.jsonl: row 2 (line 2), column "a": 1e-40 ${subnormal}`,
    )
  })

  it('inputs scaled by 1e-40 are refused at the first cell, not trained into Infinity', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => `${(i + 1) * 1e-40},${i * 3}`)
    expect(await fail('scaled.csv', `a,b\n${rows.join('\n')}\n`, xy)).toBe(
      `scaled.csv: row 1 (line 2), column "a": 1e-40 ${subnormal}`,
    )
  })

  it('keeps zeros and the smallest normal values', async () => {
    const t = await read('ok.csv', 'a,b\n0,-0\n1.2e-38,-1.1754943508222875e-38\n', xy)
    expect(t.x).toEqual(f32([0, 1.2e-38]))
    expect(t.y).toEqual(f32([-0, -1.1754943508222875e-38]))
  })

  it('leaves columns that are not read alone', async () => {
    const t = await read('other.csv', 'a,b,c\n1,2,1e-50\n3,4,5\n', xy)
    expect(t.y).toEqual(f32([2, 4]))
  })
})
