/**
 * Property: whatever sequence of compare, --resume, --shard, merge, train --save and export runs
 * against a folder that holds a user's files (some of them named as targets), those files never
 * change; each command succeeds or refuses in one line. Fixed seed, few short runs.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { dualfit, fixture, tempDir } from './cli.js'

const SPEC = ['--spec', fixture('mini.json'), '--set', 'epochs=2', '--quiet']

/** The user's files, relative to the folder. */
const FOREIGN: Record<string, string> = {
  'notes.txt': 'my notes\n',
  'mydata/a.csv': 'x,y\n1,2\n',
  'charts.md': '# my charts\n',
}

/** What a user may type, with the folder `d` as the target. */
const ACTIONS: Record<string, (d: string) => string[]> = {
  compare: (d) => ['compare', ...SPEC, '--out', d],
  resume: (d) => ['compare', ...SPEC, '--out', d, '--resume'],
  shard0: (d) => ['compare', ...SPEC, '--out', join(d, 's0'), '--shard', '0/2'],
  shard1: (d) => ['compare', ...SPEC, '--out', join(d, 's1'), '--shard', '1/2'],
  merge: (d) => ['merge', join(d, 's0'), join(d, 's1'), '--out', d],
  save: (d) => ['train', ...SPEC, '--save', join(d, 'model.onnx')],
  saveOverNotes: (d) => ['train', ...SPEC, '--save', join(d, 'notes.txt')],
  export: (d) => ['export', '--results', join(d, 'results.json'), '--out', join(d, 'model.onnx')],
  exportOverData: (d) => [
    'export',
    '--results',
    join(d, 'results.json'),
    '--out',
    join(d, 'mydata', 'a.csv'),
  ],
  reportHere: (d) => ['report', join(d, 'results.json'), '--out', d],
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

describe('a folder of user files under random command sequences', () => {
  it('never changes a byte of them', () => {
    const runs: string[] = []
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...Object.keys(ACTIONS)), { minLength: 1, maxLength: 5 }),
        (sequence) => {
          const dir = join(tempDir(), 'out')
          mkdirSync(join(dir, 'mydata'), { recursive: true })
          for (const [name, text] of Object.entries(FOREIGN)) writeFileSync(join(dir, name), text)
          const before = Object.fromEntries(Object.keys(FOREIGN).map((n) => [n, sha(join(dir, n))]))
          for (const action of sequence) {
            const r = dualfit((ACTIONS[action] as (d: string) => string[])(dir))
            runs.push(action)
            expect([0, 2], `${action}: ${r.stderr}`).toContain(r.code)
            if (r.code === 2) expect(r.stderr.trim().split('\n'), action).toHaveLength(1)
            for (const name of Object.keys(FOREIGN))
              expect(sha(join(dir, name)), `${name} after ${action}`).toBe(before[name])
          }
        },
      ),
      { seed: 1717, numRuns: 6 },
    )
    expect(runs.length).toBeGreaterThan(6)
  }, 170_000)
})
