/** The bench tables fit the terminal (issue 19): every line within COLUMNS, failed rows on one row. */
import { describe, expect, it } from 'vitest'
import { renderText } from '../src/output.js'
import { withRatio } from '../src/ratio.js'
import { buildDocument, type Environment } from '../src/schema.js'
import { memoryRows } from '../src/suites/memory.js'
import { evaluateTargets, targetDefs } from '../src/targets.js'
import { type BenchOptions, type BenchRow, SUITE_NAMES } from '../src/types.js'
import { WORKLOADS, workloadLabel } from '../src/workloads.js'

const environment: Environment = {
  node: 'v20.20.2',
  platform: 'linux',
  arch: 'x64',
  cpu: 'Intel(R) Xeon(R) Processor',
  cores: 2,
  memoryGB: 23.5,
  pytorch: {
    python: '/usr/bin/python3',
    available: true,
    torch: '1.13.0a0',
    pythonVersion: '3.11.2',
    threads: 1,
  },
  packages: {},
}
const options: BenchOptions = {
  suites: [...SUITE_NAMES],
  quick: false,
  check: true,
  device: 'all',
  format: 'table',
}
const ENGINES = [
  ['torch-style', 'cpu', true],
  ['torch-style', 'wasm', false],
  ['keras-style', 'cpu', false],
  ['keras-style', 'wasm', true],
] as const

function rowsOfEverySuite(): BenchRow[] {
  const rows: BenchRow[] = []
  for (const w of WORKLOADS) {
    for (const [backend, engine, isDefault] of ENGINES) {
      const failed = backend === 'keras-style' && engine === 'cpu' && w.id === '1e6-full-mlp'
      rows.push(
        withRatio({
          suite: 'scaling',
          key: `scaling/${w.id}`,
          case: workloadLabel(w, w.n),
          backend,
          engine,
          default: isDefault,
          unit: 'ms/epoch',
          value: failed ? null : 1234.5,
          pytorch: 456.7,
          bare: 1100,
          ...(failed
            ? { error: 'child exited with code 134:\nFATAL ERROR: Reached heap limit\n Allocation failed' }
            : { notes: '3 epoch(s), 9,375 steps; setup 12.3 ms, data 1.05 s' }),
        }),
      )
    }
  }
  const memory = memoryRows(
    ENGINES.map(([backend, engine, isDefault]) => ({
      suite: 'scaling',
      key: 'memory/scaling/1e6-full-mlp',
      case: 'scaling: N=1e6, full batch, MLP 1-64-64-1 ReLU',
      backend,
      engine,
      default: isDefault,
      kb: 3_789_000,
      pytorchKb: 1_287_000,
      bareKb: 3_700_000,
    })),
  )
  const other = (suite: BenchRow['suite'], key: string, c: string, notes: string): BenchRow =>
    withRatio({
      suite,
      key,
      case: c,
      backend: 'keras-style',
      engine: 'wasm',
      default: true,
      unit: suite === 'parallel' ? 'x' : 'ms',
      value: 1.42,
      pytorch: suite === 'parallel' ? null : 2.5,
      pytorchWhy: 'no PyTorch counterpart: dualfit serial vs workers',
      notes,
    })
  return [
    ...rows,
    ...memory,
    other(
      'step',
      'step/batch-7/loop',
      'Linear(1,1) Adam, batch 7: zeroGrad/forward/backward/step',
      'min 26.7 µs',
    ),
    other(
      'protocols',
      'protocols/both',
      'both protocols',
      'seed-keras 3.2 s, seed-torch 1.1 s; 2,345,678 steps',
    ),
    other(
      'startup',
      'startup/train',
      'dualfit train, 1 epoch (python: import torch + one step)',
      'trimmed mean of 5',
    ),
    other(
      'parallel',
      'parallel/seed-keras',
      'seed-keras grid (500 epochs), 2 workers vs serial',
      'serial 26.9 s, 2 workers 19 s; 20 trials; results identical',
    ),
  ]
}

function render(width: number): string {
  const rows = rowsOfEverySuite()
  const doc = buildDocument({
    date: new Date('2026-12-06T10:00:00Z'),
    options,
    environment,
    rows,
    skipped: [],
    targets: evaluateTargets(targetDefs(false), rows, options.suites),
  })
  return renderText(doc, width)
}

describe('renderText', () => {
  it.each([80, 100, 120])('prints no line longer than COLUMNS=%i', (width) => {
    const lines = render(width).trimEnd().split('\n')
    expect(lines.filter((l) => l.length > width)).toEqual([])
    // Every figure is still there: the overhead and the engine's ratio of the scaling rows.
    const text = lines.join('\n')
    expect(text).toContain('1.12x')
    expect(text).toContain('2.4x')
  })

  it('prints a failed run in one row: its message on one line, no empty row before the next', () => {
    for (const width of [80, Number.POSITIVE_INFINITY]) {
      const text = render(width)
      expect(text).toContain('child exited with code 134: FATAL ERROR: Reached heap limit')
      // A table row whose every cell is blank (the look of an empty separator row).
      expect(text.split('\n').filter((l) => /^│[\s│]*│$/.test(l))).toEqual([])
    }
  })

  it('shows the overhead and the engine vs PyTorch columns, and no dualfit / PyTorch column, for scaling', () => {
    const text = render(Number.POSITIVE_INFINITY)
    const scalingHead = text.split('\n').find((l) => l.includes('bare loop')) ?? ''
    expect(scalingHead).toContain('overhead')
    expect(scalingHead).toContain('engine/PyTorch')
    expect(scalingHead).not.toContain('dualfit / PyTorch')
  })
})
