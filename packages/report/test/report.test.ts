import type { ExperimentResult, TrialResult } from '@dualfit/core'
import { parseSpec } from '@dualfit/core'
import { describe, expect, it } from 'vitest'
import {
  duration,
  num,
  renderCsv,
  renderMarkdown,
  renderTable,
  sparkline,
  summarize,
  tableRows,
  tallRows,
} from '../src/index.js'

const spec = parseSpec({
  name: 'mini',
  dataset: { builtin: 'meters-feet' },
  model: { layers: [{ units: 1 }] },
  optimizer: { lr: 0.1 },
  epochs: 3,
  seeds: [0],
  grid: { 'optimizer.lr': [0.1, 0.01] },
  cv: { folds: 3 },
  earlyStopping: { patience: 1 },
  report: { predict: [100] },
})

function trial(stage: TrialResult['stage'], o: Partial<TrialResult>): TrialResult {
  return {
    id: `${stage}/p0/s0`,
    stage,
    point: 0,
    params: { 'optimizer.lr': 0.1 },
    fold: null,
    seed: 0,
    epochs: 3,
    epochsRun: 3,
    stoppedEpoch: null,
    bestEpoch: null,
    diverged: false,
    steps: 21,
    history: { loss: [3, 2, 1] },
    finalLoss: 1,
    testMse: null,
    weights: [{ inputs: 1, units: 1, kernel: [3.2], bias: [0.5] }],
    predictions: [{ x: [100], y: [320.5], exact: [328.084], absError: [7.584] }],
    timings: { setupMs: 1, trainMs: 2, totalMs: 3, usPerStep: 95 },
    ...o,
  }
}

const seedData = {
  name: 'meters-feet',
  description: 'meters -> feet',
  columns: { x: ['meters'], y: ['feet'] },
  units: { x: ['m'], y: ['ft'] },
  rows: 7,
  dropped: 0,
  testRows: 0,
  sha256: '0'.repeat(64),
}

function result(backend: string, w: number, wallMs: number, testMse: number | null = null): ExperimentResult {
  return {
    schemaVersion: 2,
    kind: 'dualfit.experiment',
    spec,
    specHash: 'abcdef0123456789',
    data: testMse === null ? seedData : { ...seedData, rows: 9, dropped: 2, testRows: 2 },
    backend: {
      id: backend,
      version: `${backend}@1`,
      engine: { id: 'cpu', device: 'cpu', available: true, detail: '' },
    },
    environment: { node: 'v20', platform: 'linux', arch: 'x64', cpu: 'x', cpus: 2, workers: 1, packages: {} },
    grid: { keys: ['optimizer.lr'], points: [{ 'optimizer.lr': 0.1 }, { 'optimizer.lr': 0.01 }] },
    selection: {
      score: 'cv_mse',
      rule: 'best',
      selected: 0,
      scores: [
        {
          point: 0,
          params: { 'optimizer.lr': 0.1 },
          mean: 0.02,
          sd: 0.01,
          se: 0,
          tie: false,
          values: [0.01, 0.02, 0.03],
        },
        { point: 1, params: { 'optimizer.lr': 0.01 }, mean: 5, sd: 1, se: 0, tie: false, values: [4, 5, 6] },
      ],
    },
    trials: [
      trial('refit', { weights: [{ inputs: 1, units: 1, kernel: [w], bias: [0.5] }], testMse }),
      trial('early-stopping', { id: 'early-stopping/p0/s0', epochsRun: 2, stoppedEpoch: 1 }),
    ],
    totals: { trials: 2, steps: 42, trainMs: 4.2, wallMs },
  }
}

describe('formatting', () => {
  it('keeps significant digits and switches to exponents for tiny or huge values', () => {
    expect(num(328.08399)).toBe('328.1')
    expect(num(0.000012345)).toBe('1.23e-5')
    expect(num(Number.POSITIVE_INFINITY)).toBe('∞')
    expect(num(Number.NaN)).toBe('—')
    expect(duration(0.25)).toBe('250 µs')
    expect(duration(1234)).toBe('1.23 s')
  })
})

describe('summaries and tables', () => {
  const a = summarize(result('keras-style', 3.25, 3000))
  const b = summarize(result('torch-style', 3.28, 1000))

  it('summarizes the selected point, the final model and early stopping', () => {
    expect(a.selected).toEqual({ 'optimizer.lr': 0.1 })
    expect(a.score).toEqual({ mean: 0.02, sd: 0.01, n: 3 })
    expect(a.weight?.mean).toBe(3.25)
    expect(a.earlyStop).toMatchObject({ stopped: 1, runs: 1, maxEpochs: 3 })
    expect(a.prediction).toMatchObject({ x: [100], unitX: 'm', unitY: 'ft', exact: 328.084 })
    expect(a.usPerStep).toBeCloseTo(100, 9)
  })

  it('puts a difference row last, with ratios for times', () => {
    const { head, body } = tableRows([a, b])
    expect(head).toContain('pred @ 100 m')
    expect(head[2]).toBe('CV MSE (mean ± sd)')
    const diff = body[2] as string[]
    expect(diff[0]).toBe('Δ keras-style − torch-style')
    expect(diff[head.indexOf('weight')]).toBe('-0.03')
    expect(diff[head.indexOf('wall')]).toBe('+2 s (×3)')
  })

  it('renders terminal, Markdown and CSV', () => {
    const t = renderTable([a, b])
    expect(t).toContain('keras-style (cpu)')
    expect(t).toContain('mini · spec abcdef012345 · meters-feet: 7 rows · seeds 0')
    const md = renderMarkdown([a, b])
    expect(md.split('\n')[2]).toMatch(/^\| backend \| selected \|/)
    const csv = renderCsv([a, b]).trim().split('\n')
    expect(csv).toHaveLength(3)
    expect(csv[0]?.split(',')).toContain('us_per_step')
    expect(csv[1]).toContain('keras-style,cpu,0,lr 0.1,cv_mse,0.02,0.01')
  })

  it('shows test MSE beside the CV score, and the rows dropped and held out, only when there are some', () => {
    expect(tableRows([a, b]).head).not.toContain('test MSE')
    const c = summarize(result('keras-style', 3.25, 3000, 0.5))
    const d = summarize(result('torch-style', 3.28, 1000, 0.25))
    const { head, body } = tableRows([c, d])
    expect(head.slice(2, 4)).toEqual(['CV MSE (mean ± sd)', 'test MSE'])
    expect(body.map((row) => row[3])).toEqual(['0.5', '0.25', '+0.25'])
    expect(renderTable([c, d])).toContain('meters-feet: 9 rows, 2 dropped (missing), 2 held out for test')
    expect(renderTable([a, b])).toContain('meters-feet: 7 rows · seeds 0')
    expect(renderCsv([c]).split('\n')[1]).toContain(',0.5,9,2,2,')
  })

  const widest = (text: string) => Math.max(...text.split('\n').map((l) => l.length))

  it('fits the width: one row per backend when it fits, else one row per measure, cells wrapped if need be', () => {
    const roomy = renderTable([a, b], { width: 400 })
    expect(roomy).toContain('│ backend ')
    for (const width of [100, 80, 60]) {
      const t = renderTable([a, b], { width })
      expect(widest(t)).toBeLessThanOrEqual(width)
      expect(t).toContain('│ measure ')
    }
    // Forced layouts.
    expect(renderTable([a, b], { width: 400, layout: 'tall' })).toContain('│ measure ')
    expect(renderTable([a, b], { width: 60, layout: 'wide' })).toContain('│ backend ')
    const tall = tallRows([a, b])
    expect(tall.head).toEqual([
      'measure',
      'keras-style (cpu)',
      'torch-style (cpu)',
      'Δ keras-style − torch-style',
    ])
    expect(tall.body.find((r) => r[0] === 'wall')).toEqual(['wall', '3 s', '1 s', '+2 s (×3)'])
  })

  it('marks diverged runs and counts them per backend', () => {
    const r = result('keras-style', 3.25, 3000)
    r.trials[1] = { ...(r.trials[1] as TrialResult), diverged: true, finalLoss: Number.POSITIVE_INFINITY }
    const d = summarize(r)
    expect(d.diverged).toEqual({ runs: 1, of: 2 })
    const { head, body } = tableRows([d, b])
    expect(body[0]?.[head.indexOf('diverged runs')]).toBe('1 of 2 ✗')
    expect(body[1]?.[head.indexOf('diverged runs')]).toBe('0 of 2')
    expect(body[0]?.[head.indexOf('early stop')]).toContain('diverged ✗')
    // Without any diverged run the column is left out.
    expect(tableRows([a, b]).head).not.toContain('diverged runs')
  })

  it('draws the loss curve as a log-scale sparkline per backend', () => {
    expect(sparkline([1000, 100, 10, 1], 4)).toBe('█▆▃▁')
    expect(sparkline([1, 1, 1], 3)).toBe('▁▁▁')
    expect(sparkline([8, 4, 2, 1, 0.5, 0.25], 3)).toHaveLength(3)
    expect(sparkline([1, Number.NaN, 0.1], 3)).toBe('█✗▁')
    const t = renderTable([a, b], { width: 100 })
    expect(t).toMatch(/keras-style {2}[▁-█]+ 3 → 1, 3 epochs/)
  })

  it('flags grid points tied with the selected one (within one standard error)', () => {
    const r = result('keras-style', 3.25, 3000)
    r.selection.scores = r.selection.scores.map((x) => ({ ...x, tie: true }))
    const t = summarize(r)
    expect(t.ties).toBe(1)
    const { head, body } = tableRows([t, b])
    expect(body[0]?.[head.indexOf('selected')]).toBe('lr 0.1 (1 tied ≤1 SE)')
    expect(body[1]?.[head.indexOf('selected')]).toBe('lr 0.1')
  })
})
