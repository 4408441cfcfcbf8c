/** What a new user reads in the tables (issue 19): every prediction and output, no empty rows, true names and words. */
import type { ExperimentResult, TrialResult } from '@dualfit/core'
import { parseSpec } from '@dualfit/core'
import { describe, expect, it } from 'vitest'
import { renderCsv, renderTable, summarize, tableRows, textTable, wrapLine } from '../src/index.js'

const cars = {
  name: 'cars.csv',
  description: 'cars.csv',
  columns: { x: ['Horsepower'], y: ['mpg', 'lbs'] },
  units: { x: [''], y: ['', ''] },
  rows: 10,
  dropped: 0,
  testRows: 2,
  sha256: '0'.repeat(64),
}

/** A two-output model, predicting at two inputs, over two seeds, on `engine`. */
function twoOutputs(backend: string, engine: string, o: { predict?: boolean; shift?: number } = {}) {
  const spec = parseSpec({
    name: 'two',
    dataset: {
      inline: {
        x: [[1], [2], [3], [4]],
        y: [
          [1, 2],
          [2, 4],
          [3, 6],
          [4, 8],
        ],
      },
    },
    model: { layers: [{ units: 2 }] },
    optimizer: { lr: 0.1 },
    epochs: 2,
    seeds: [0, 1],
    report: { predict: o.predict === false ? [] : [100, 200] },
  })
  const shift = o.shift ?? 0
  const trial = (seed: number): TrialResult => ({
    id: `refit/p0/s${seed}`,
    stage: 'refit',
    point: 0,
    params: {},
    fold: null,
    seed,
    epochs: 2,
    epochsRun: 2,
    stoppedEpoch: null,
    bestEpoch: null,
    diverged: false,
    steps: 4,
    history: { loss: [2, 1] },
    finalLoss: 1,
    testMse: 50.5 + seed,
    testMseByOutput: [1 + seed, 100 + 10 * seed],
    weights: [{ inputs: 1, units: 2, kernel: [1, 2], bias: [0, 0] }],
    predictions:
      o.predict === false
        ? []
        : [
            { x: [100], y: [25 + seed + shift, 3000] },
            { x: [200], y: [12 + shift, 4000 + seed] },
          ],
    timings: { setupMs: 1, trainMs: 2, totalMs: 3, usPerStep: 500 },
  })
  const r: ExperimentResult = {
    schemaVersion: 2,
    kind: 'dualfit.experiment',
    spec,
    specHash: 'f'.repeat(64),
    data: cars,
    backend: {
      id: backend,
      version: `${backend}@1`,
      engine: { id: engine, device: 'cpu', available: true, detail: '' },
    },
    environment: { node: 'v20', platform: 'linux', arch: 'x64', cpu: 'x', cpus: 2, workers: 1, packages: {} },
    grid: { keys: [], points: [{}] },
    selection: {
      score: 'train_loss',
      rule: 'best',
      selected: 0,
      scores: [{ point: 0, params: {}, mean: 1.77, sd: 1.3, se: 0.9, tie: false, values: [0.85, 2.69] }],
    },
    trials: [trial(0), trial(1)],
    totals: { trials: 2, steps: 8, trainMs: 4, wallMs: engine === 'cpu' ? 1510 : 3440 },
  }
  return summarize(r)
}

describe('every prediction and every output', () => {
  const rows = [twoOutputs('torch-style', 'cpu'), twoOutputs('torch-style', 'wasm', { shift: 1 })]

  it('gives each report input and output its own prediction and error columns', () => {
    const { head, body } = tableRows(rows)
    for (const label of ['pred mpg @ 100', 'pred lbs @ 100', 'pred mpg @ 200', 'pred lbs @ 200'])
      expect(head).toContain(label)
    expect(body[0]?.[head.indexOf('pred mpg @ 100')]).toBe('25.5 [25–26]')
    expect(body[1]?.[head.indexOf('pred lbs @ 200')]).toBe('4000.5 [4000–4001]')
    // No exact function for user data: no error columns of '—'.
    expect(head.some((h) => h.startsWith('|error|'))).toBe(false)
  })

  it("reports each output's test MSE in its own units, not their sum", () => {
    const { head, body } = tableRows(rows)
    expect(head).not.toContain('test MSE')
    expect(body[0]?.[head.indexOf('test MSE mpg')]).toBe('1.5 [1–2]')
    expect(body[0]?.[head.indexOf('test MSE lbs')]).toBe('105 [100–110]')
  })

  it('writes every prediction to the CSV: per report input, one value per output', () => {
    const [header, first] = renderCsv(rows).trim().split('\n')
    const row = Object.fromEntries(header?.split(',').map((h, i) => [h, first?.split(',')[i]]) ?? [])
    expect(row.predict_x).toBe('100;200')
    expect(row.prediction).toBe('25.5 3000;12 4000.5')
    expect(row.test_mse).toBe('51')
    expect(row.test_mse_by_output).toBe('1.5 105')
    expect(row.exact).toBe('')
  })

  it('leaves out rows with nothing to show: no prediction row without report inputs', () => {
    const none = [twoOutputs('keras-style', 'cpu', { predict: false })]
    const { head } = tableRows(none)
    expect(head.some((h) => h.startsWith('pred'))).toBe(false)
    expect(head).not.toContain('early stop')
    const tall = renderTable(none, { layout: 'tall' })
    expect(tall).not.toMatch(/│ (prediction|pred|early stop) /)
    expect(tall).not.toMatch(/│ [^│]+│ — +│/)
  })
})

describe('names and words', () => {
  const rows = [twoOutputs('torch-style', 'cpu'), twoOutputs('torch-style', 'wasm')]

  it('names two engines of one backend backend:engine in the difference row, curves and footer', () => {
    const { body } = tableRows(rows)
    expect(body[2]?.[0]).toBe('Δ torch-style:cpu − torch-style:wasm')
    const t = renderTable(rows, { width: 100 })
    expect(t).toContain('wall: torch-style:cpu 1.51 s, torch-style:wasm 3.44 s')
    expect(t).toMatch(/^torch-style:wasm {2}/m)
    // One engine per backend: the backend alone, as before.
    expect(tableRows([rows[0], twoOutputs('keras-style', 'cpu')] as typeof rows).body[2]?.[0]).toBe(
      'Δ torch-style − keras-style',
    )
  })

  it('says what a multi-seed score cell is: mean ± sd, as the header and selection have it', () => {
    const { head, body } = tableRows(rows)
    const score = head.indexOf('grid score (final loss, mean ± sd)')
    expect(body[0]?.[score]).toBe('1.77 ± 1.3')
    expect(renderTable(rows)).toContain(
      'seeds 0,1 · cells: median [min–max] over seeds, scores mean ± sd (as selection ranks them)',
    )
  })
})

describe('fitting the terminal', () => {
  it('wraps a line at spaces under an indent, and splits a word longer than a line', () => {
    expect(wrapLine('aaa bbb ccc ddd', 8, 2)).toBe('aaa bbb\n  ccc\n  ddd')
    expect(wrapLine('  label   a long value here', 14, 4)).toBe('  label   a\n    long value\n    here')
    const long = wrapLine(`x ${'1234567890'.repeat(3)}`, 12, 2)
    expect(long.split('\n').every((l) => l.length <= 12)).toBe(true)
    expect(long.replace(/\s/g, '')).toBe(`x${'1234567890'.repeat(3)}`)
  })

  it('wraps table cells without cutting a long word off', () => {
    const word = 'OrtSessionOptionsAppendExecutionProvider_Cuda:'
    const t = textTable(['a', 'detail'], [['x', `${word} failed to load`]], 30)
    expect(Math.max(...t.split('\n').map((l) => l.length))).toBeLessThanOrEqual(30)
    expect(t).not.toContain('…')
    const cells = t
      .split('\n')
      .map((l) => l.split('│')[2]?.trim() ?? '')
      .join('')
    expect(cells).toContain(word)
  })
})
