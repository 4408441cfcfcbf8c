import { describe, expect, it } from 'vitest'
import { withRatio } from '../src/ratio.js'
import {
  checkExitCode,
  evaluateTargets,
  formatTarget,
  TARGETS,
  type TargetDef,
  type TargetResult,
  targetDefs,
} from '../src/targets.js'
import type { BenchRow } from '../src/types.js'

const def: TargetDef = {
  id: 'scaling/1e6-full-mlp/torch-style',
  suite: 'scaling',
  key: 'scaling/1e6-full-mlp',
  backend: 'torch-style',
  on: 'ratio',
  op: '<=',
  limit: 1,
  label: 'scaling: MLP, torch-style vs PyTorch',
}

function row(over: Partial<BenchRow>): BenchRow {
  return withRatio({
    suite: 'scaling',
    key: 'scaling/1e6-full-mlp',
    case: 'N=1e6, full batch, MLP',
    backend: 'torch-style',
    engine: 'cpu',
    default: true,
    unit: 'ms/epoch',
    value: 90,
    pytorch: 100,
    ...over,
  })
}

describe('evaluateTargets', () => {
  it('passes a ratio within the limit, fails one above it (the limit itself passes)', () => {
    expect(evaluateTargets([def], [row({})], ['scaling'])[0]).toMatchObject({ status: 'PASS', measured: 0.9 })
    expect(evaluateTargets([def], [row({ value: 100 })], ['scaling'])[0]?.status).toBe('PASS')
    expect(evaluateTargets([def], [row({ value: 130 })], ['scaling'])[0]).toMatchObject({
      status: 'FAIL',
      measured: 1.3,
    })
  })

  it("judges the backend's default engine and lists the others", () => {
    const rows = [row({ engine: 'wasm', default: false, value: 500 }), row({ engine: 'cpu', value: 50 })]
    const [t] = evaluateTargets([def], rows, ['scaling'])
    expect(t).toMatchObject({ status: 'PASS', engine: 'cpu', measured: 0.5 })
    expect(t?.others).toEqual([{ engine: 'wasm', measured: 5 }])
  })

  it('skips a target whose suite did not run, or whose backend had no engine', () => {
    expect(evaluateTargets([def], [], ['step'])[0]).toMatchObject({
      status: 'SKIP',
      why: 'suite scaling not run',
    })
    expect(evaluateTargets([def], [row({ backend: 'keras-style' })], ['scaling'])[0]).toMatchObject({
      status: 'SKIP',
      why: 'no torch-style engine ran',
    })
  })

  it('skips a ratio target without a PyTorch figure, saying why', () => {
    const rows = [row({ pytorch: null, pytorchWhy: 'no torch for /usr/bin/python3' })]
    expect(evaluateTargets([def], rows, ['scaling'])[0]).toMatchObject({
      status: 'SKIP',
      why: 'no torch for /usr/bin/python3',
    })
  })

  it('fails a target whose run failed', () => {
    const [t] = evaluateTargets([def], [row({ value: null, error: 'out of memory' })], ['scaling'])
    expect(t).toMatchObject({ status: 'FAIL', measured: null })
    expect(t?.why).toContain('out of memory')
  })

  it("judges a '>=' target on the row's own value, without PyTorch", () => {
    const speed: TargetDef = {
      ...def,
      key: 'parallel/seed-keras',
      suite: 'parallel',
      on: 'value',
      op: '>=',
      limit: 1.7,
    }
    const r = (value: number) =>
      row({
        suite: 'parallel',
        key: 'parallel/seed-keras',
        unit: 'x',
        value,
        pytorch: null,
        pytorchWhy: 'n/a',
      })
    expect(evaluateTargets([speed], [r(1.8)], ['parallel'])[0]?.status).toBe('PASS')
    expect(evaluateTargets([speed], [r(1.2)], ['parallel'])[0]?.status).toBe('FAIL')
  })
})

describe('the target list', () => {
  it("holds the issue's targets: protocols, four scaling workloads per style, memory and parallel", () => {
    const ids = TARGETS.map((t) => t.id)
    expect(ids).toHaveLength(2 + 8 + 2 + 2)
    expect(new Set(ids).size).toBe(ids.length)
    const limit = (id: string) => TARGETS.find((t) => t.id === id)?.limit
    expect(limit('protocols/torch-style')).toBe(1.5)
    expect(limit('scaling/1e5-b32-mlp/torch-style')).toBe(1)
    expect(limit('scaling/1e5-b32-mlp/keras-style')).toBe(2)
    expect(limit('memory/1e6-full-mlp/keras-style')).toBe(1.5)
    expect(TARGETS.find((t) => t.id === 'parallel/keras-style')).toMatchObject({ op: '>=', limit: 1.7 })
  })
  it('names the smaller workloads under --quick', () => {
    const label = (quick: boolean) =>
      targetDefs(quick).find((t) => t.id === 'scaling/1e6-full-mlp/torch-style')?.label
    expect(label(false)).toContain('N=1e6')
    expect(label(true)).toContain('N=1e5')
  })
})

describe('formatTarget and checkExitCode', () => {
  const base = {
    id: 'x',
    label: 'scaling: MLP, torch-style vs PyTorch',
    on: 'ratio',
    op: '<=',
    limit: 1,
  } as const
  it('prints one line per target with the figure and the target', () => {
    const pass: TargetResult = {
      ...base,
      status: 'PASS',
      measured: 0.93,
      engine: 'cpu',
      others: [{ engine: 'wasm', measured: 1.2 }],
    }
    expect(formatTarget(pass)).toBe(
      'PASS  scaling: MLP, torch-style vs PyTorch (cpu): 0.93x; target <= 1x  [wasm 1.2x]',
    )
    const skip: TargetResult = {
      ...base,
      status: 'SKIP',
      measured: null,
      why: 'no torch for /usr/bin/python3',
    }
    expect(formatTarget(skip)).toBe(
      'SKIP (no torch for /usr/bin/python3)  scaling: MLP, torch-style vs PyTorch; target <= 1x',
    )
  })
  it('exits 1 on any FAIL, 0 with PASS and SKIP only', () => {
    const t = (status: TargetResult['status']): TargetResult => ({ ...base, status, measured: null })
    expect(checkExitCode([t('PASS'), t('SKIP')])).toBe(0)
    expect(checkExitCode([t('PASS'), t('FAIL')])).toBe(1)
    expect(checkExitCode([])).toBe(0)
  })
})
