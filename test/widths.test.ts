/**
 * Every table of every command fits the terminal (issue 19): with COLUMNS=80 and 100, no line that
 * backends, datasets, parity, compare or train prints is longer. Runs the built CLI (`pnpm build` first).
 */
import { describe, expect, it } from 'vitest'
import { dualfit, fixture } from './cli.js'

const COMMANDS: [string, string[]][] = [
  ['backends', ['backends']],
  ['datasets', ['datasets']],
  // mini's two backends part here (exit 1): the verdict's longest lines, where they part and why.
  ['parity', ['parity', '--spec', fixture('mini.json')]],
  // Two engines of one backend, two report inputs: the widest compare table of a small run.
  [
    'compare',
    [
      'compare',
      '--spec',
      fixture('mini.json'),
      '--backends',
      'keras-style,torch-style:cpu,torch-style:wasm',
      '--seeds',
      '2',
      '--set',
      'report.predict=[100,200]',
      '--quiet',
    ],
  ],
  // A hidden layer of 16: its kernel alone is 256 numbers on one line unless wrapped.
  ['train', ['train', '--spec', fixture('sin-mlp.json'), '--set', 'epochs=3']],
]

describe.each([80, 100])('COLUMNS=%i', (columns) => {
  it.each(COMMANDS)('%s prints no line longer', (name, args) => {
    const r = dualfit(args, undefined, { COLUMNS: String(columns) })
    expect(r.stderr).toBe('')
    // parity's exit code is its verdict, which float32 arithmetic may tip on another CPU.
    expect(name === 'parity' ? [0, 1] : [0]).toContain(r.code)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines.length).toBeGreaterThan(3)
    const over = lines.filter((l) => l.length > columns)
    expect(over).toEqual([])
  })
})
