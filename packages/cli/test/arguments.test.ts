import { describe, expect, it } from 'vitest'
import { attachDashValues } from '../src/options.js'

describe('values that start with a dash', () => {
  it('are the value of the option before them when yargs would read them as flags', () => {
    expect(attachDashValues(['predict', '--x', '-1,-2', '--x', '-1e3'])).toEqual([
      'predict',
      '--x=-1,-2',
      '--x=-1e3',
    ])
    expect(attachDashValues(['compare', '--shard', '-1/3', '--tolerance', '-.5e-3'])).toEqual([
      'compare',
      '--shard=-1/3',
      '--tolerance=-.5e-3',
    ])
  })

  it('leave plain negative numbers, flags, values with = and everything after -- to yargs', () => {
    const as = (argv: string[]) => expect(attachDashValues(argv)).toEqual(argv)
    as(['predict', '--x', '-1', '--x', '-2.5'])
    as(['compare', '--quiet', '--yes', '--out', 'o'])
    as(['predict', '--x=-1,-2'])
    as(['report', '--', '--out', '-1,-2'])
    as(['-h'])
  })
})
