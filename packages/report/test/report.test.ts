import type { ExperimentResult, TrainSettings, TrialResult } from '@dualfit/core'
import { parseSpec } from '@dualfit/core'
import { describe, expect, it } from 'vitest'
import {
  duration,
  num,
  parityLines,
  renderCsv,
  renderMarkdown,
  renderTable,
  type Summary,
  settingsRows,
  sparkline,
  stat,
  summarize,
  summarizeGroup,
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
    expect(stat({ median: 2, min: 1, max: 30, n: 3 })).toBe('2 [1–30]')
    // No spread at the digits shown: the median alone.
    expect(stat({ median: 3.2808405, min: 3.2808401, max: 3.2808412, n: 3 }, 6)).toBe('3.28084')
  })
})

describe('summaries and tables', () => {
  const a = summarize(result('keras-style', 3.25, 3000))
  const b = summarize(result('torch-style', 3.28, 1000))

  it('summarizes the selected point, the final model and early stopping', () => {
    expect(a.selected).toEqual({ 'optimizer.lr': 0.1 })
    expect(a.score).toMatchObject({ mean: 0.02, sd: 0.01, n: 3, median: 0.02, min: 0.01, max: 0.03 })
    expect(a.weight?.mean).toBe(3.25)
    expect(a.earlyStop).toMatchObject({ stopped: 1, runs: 1, maxEpochs: 3 })
    expect(a.predictions).toMatchObject([
      { x: [100], unitX: 'm', output: 'feet', unitY: 'ft', exact: 328.084 },
    ])
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
    // test_mse, test_mse_by_output (empty for one output), then the data's rows.
    expect(renderCsv([c]).split('\n')[1]).toContain(',0.5,,9,2,2,')
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

describe('a fair fight over seeds (hand-made results)', () => {
  /** Three seeds' refits: |error| 0.004, 0.2 and 0.001 ft; the second never settles within 0.01. */
  function seeds(): ExperimentResult {
    const r = result('keras-style', 3.28, 1000)
    const refit = (
      seed: number,
      w: number,
      absError: number,
      toQuality: TrialResult['toQuality'],
      ms: number | null,
    ) =>
      trial('refit', {
        id: `refit/p0/s${seed}`,
        seed,
        weights: [{ inputs: 1, units: 1, kernel: [w], bias: [0] }],
        predictions: [{ x: [100], y: [328.084 + absError], exact: [328.084], absError: [absError] }],
        history: { loss: [3, 2, 1], error: [1, 0.5, absError] },
        toQuality,
        timings: { setupMs: 1, trainMs: 2, totalMs: 3, usPerStep: 95, toQualityMs: ms },
      })
    r.spec = { ...r.spec, seeds: [0, 1, 2] }
    r.trials = [
      refit(0, 3.2808, 0.004, { epochs: 3, steps: 21 }, 30),
      refit(1, 3.27, 0.2, null, null),
      refit(2, 3.29, 0.001, { epochs: 2, steps: 14 }, 12),
    ]
    return r
  }

  it('counts successes within report.tolerance and summarizes time to quality over the runs that got there', () => {
    const s = summarize(seeds())
    expect(s.tolerance).toBe(0.01)
    expect(s.success).toEqual({ ok: 2, of: 3 })
    expect(s.toQuality).toMatchObject({ reached: 2, of: 3 })
    expect(s.toQuality?.epochs).toMatchObject({ median: 2.5, min: 2, max: 3 })
    expect(s.toQuality?.steps).toMatchObject({ median: 17.5, min: 14, max: 21 })
    expect(s.toQuality?.ms).toMatchObject({ median: 21, min: 12, max: 30 })
  })

  it('shows median [min–max] per cell, the success rate and time to quality as columns', () => {
    const s = summarize(seeds())
    const { head, body } = tableRows([s])
    const cell = (h: string) => body[0]?.[head.indexOf(h)]
    expect(cell('weight')).toBe('3.2808 [3.27–3.29]')
    expect(cell('|error|')).toBe('0.004 [0.001–0.2] ft')
    expect(cell('success (≤0.01 ft)')).toBe('2/3')
    expect(cell('epochs to ≤0.01 ft')).toBe('2.5 [2–3] (2/3)')
    expect(cell('steps to ≤0.01 ft')).toBe('17.5 [14–21] (2/3)')
    expect(cell('ms to ≤0.01 ft')).toBe('21 [12–30] (2/3)')
    expect(renderTable([s])).toContain(
      'seeds 0,1,2 · cells: median [min–max] over seeds, scores mean ± sd (as selection ranks them)',
    )
    const csv = renderCsv([s]).trim().split('\n')
    const row = Object.fromEntries(csv[0]?.split(',').map((h, i) => [h, csv[1]?.split(',')[i]]) ?? [])
    expect(row).toMatchObject({
      success: '2',
      success_of: '3',
      to_quality_epochs: '2.5',
      to_quality_steps: '17.5',
    })
  })

  it('says never when no run settles within tolerance, and leaves the columns out without an exact function', () => {
    const r = seeds()
    r.trials = r.trials.map((t) => ({ ...t, toQuality: null }))
    const { head, body } = tableRows([summarize(r)])
    expect(body[0]?.[head.indexOf('epochs to ≤0.01 ft')]).toBe('never (0/3)')
    const none = seeds()
    none.trials = none.trials.map(({ toQuality: _q, ...t }) => ({
      ...t,
      predictions: [{ x: [100], y: [1] }],
    }))
    const cols = tableRows([summarize(none)]).head
    expect(cols.filter((h) => /success|to ≤/.test(h))).toEqual([])
  })

  it("adds each later backend's parity against the first", () => {
    const first = seeds()
    const same = { ...seeds(), backend: { ...first.backend, id: 'torch-style' } }
    const [a, b] = summarizeGroup([first, same])
    expect(a?.parity).toBeNull()
    expect(b?.parity).toMatchObject({ ok: true, backends: ['keras-style', 'torch-style'] })
    const { head, body } = tableRows([a, b] as Summary[])
    const col = head.indexOf('parity (loss curves, weights)')
    expect(body[0]?.[col]).toBe('reference')
    expect(body[1]?.[col]).toBe('✓ 0, 0')
    expect(parityLines([a, b] as Summary[])).toEqual([])
  })

  it('says under the table where a later backend parts from the first, and why', () => {
    const first = seeds()
    const other = seeds()
    other.backend = { ...first.backend, id: 'torch-style' }
    other.trials = other.trials.map((t) => ({ ...t, history: { ...t.history, loss: [3, 2.5, 1] } }))
    const rows = summarizeGroup([first, other])
    const { head, body } = tableRows(rows)
    expect(body[1]?.[head.indexOf('parity (loss curves, weights)')]).toBe('✗ 0.11, 0, part at epoch 2')
    const line =
      'parity ✗ torch-style vs keras-style: the loss curves part at epoch 2 of refit/p0/s0; likely cause: settings unknown for keras-style and torch-style (results from an older dualfit) (dualfit parity)'
    expect(parityLines(rows)).toEqual([line])
    expect(renderTable(rows, { width: 1000 })).toContain(line)
    expect(renderMarkdown(rows)).toContain('parity ✗ torch-style vs keras-style')
  })

  it("prints the settings in effect per backend under init 'framework'", () => {
    const framework = (id: string, settings: TrainSettings) => {
      const r = result(id, 3.2, 1000)
      r.spec = { ...r.spec, init: 'framework' }
      r.backend = { ...r.backend, settings }
      return summarize(r)
    }
    const keras = framework('keras-style', {
      initializer: 'glorotNormal kernel, zero bias',
      order: 'tfjs fit shuffle',
      batchSize: 32,
      epsilon: { value: 1e-7, placement: 'sqrt(v_hat) + eps' },
      lossReduction: 'mean',
    })
    const torch = framework('torch-style', {
      initializer: 'U(-1/sqrt(fan_in), 1/sqrt(fan_in))',
      order: 'a fresh permutation per epoch',
      batchSize: 32,
      epsilon: { value: 1e-8, placement: 'sqrt(v_hat) + eps' },
      lossReduction: 'mean',
    })
    const table = settingsRows([keras, torch])
    expect(table?.head).toEqual(['framework defaults in effect', 'keras-style (cpu)', 'torch-style (cpu)'])
    expect(table?.body[1]).toEqual(['Adam epsilon', '1e-7', '1e-8'])
    expect(renderTable([keras, torch])).toMatch(/initializer +│ glorotNormal kernel, zero bias +│ U\(/)
    expect(renderMarkdown([keras, torch])).toContain('| Adam epsilon | 1e-7 | 1e-8 |')
    const plain = summarize(result('keras-style', 3.2, 1000))
    expect(renderTable([plain, plain])).not.toContain('framework defaults')
  })
})
