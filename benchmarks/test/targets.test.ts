import { describe, expect, it } from 'vitest'
import { withRatio } from '../src/ratio.js'
import {
  checkExitCode,
  evaluateTargets,
  formatTarget,
  OVERHEAD_LIMIT,
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
  on: 'overhead',
  op: '<=',
  limit: OVERHEAD_LIMIT,
  label: 'scaling: MLP, torch-style over its bare loop',
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
    value: 100,
    bare: 100,
    pytorch: 50,
    ...over,
  })
}

describe('evaluateTargets', () => {
  it("judges dualfit's overhead over the bare loop: 1.3x fails, 1.1x and the limit pass", () => {
    expect(evaluateTargets([def], [row({ value: 130 })], ['scaling'])[0]).toMatchObject({
      status: 'FAIL',
      measured: 1.3,
    })
    expect(evaluateTargets([def], [row({ value: 110 })], ['scaling'])[0]).toMatchObject({
      status: 'PASS',
      measured: 1.1,
    })
    expect(evaluateTargets([def], [row({ value: 115 })], ['scaling'])[0]?.status).toBe('PASS')
  })

  it("never judges the engine's ratio to PyTorch: a slow engine passes, and its ratio is reported", () => {
    // The engine 10x slower than PyTorch, dualfit adding 5 % to it.
    const [t] = evaluateTargets([def], [row({ value: 1050, bare: 1000, pytorch: 100 })], ['scaling'])
    expect(t).toMatchObject({ status: 'PASS', measured: 1.05, engineVsPytorch: 10 })
    expect(t && formatTarget(t)).toBe(
      'PASS  scaling: MLP, torch-style over its bare loop (cpu): 1.05x; target <= 1.15x; engine vs PyTorch 10x (not judged)',
    )
    // Without PyTorch the overhead is still judged.
    const [u] = evaluateTargets([def], [row({ pytorch: null, pytorchWhy: 'no torch' })], ['scaling'])
    expect(u).toMatchObject({ status: 'PASS', measured: 1, engineVsPytorch: null })
  })

  it("judges the backend's default engine and lists the others", () => {
    const rows = [row({ engine: 'wasm', default: false, value: 500 }), row({ engine: 'cpu', value: 105 })]
    const [t] = evaluateTargets([def], rows, ['scaling'])
    expect(t).toMatchObject({ status: 'PASS', engine: 'cpu', measured: 1.05 })
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

  it('skips an overhead target whose bare loop failed, saying why', () => {
    const rows = [row({ bare: null, bareWhy: 'bare loop failed: out of memory' })]
    expect(evaluateTargets([def], rows, ['scaling'])[0]).toMatchObject({
      status: 'SKIP',
      why: 'bare loop failed: out of memory',
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
  it("holds the targets: five scaling workloads and memory per style on dualfit's overhead, and parallel", () => {
    const ids = TARGETS.map((t) => t.id)
    expect(ids).toHaveLength(10 + 2 + 2)
    expect(new Set(ids).size).toBe(ids.length)
    for (const t of TARGETS.filter((x) => x.suite !== 'parallel'))
      expect(t).toMatchObject({ on: 'overhead', op: '<=', limit: 1.15 })
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
    label: 'scaling: MLP, torch-style over its bare loop',
    on: 'overhead',
    op: '<=',
    limit: 1.15,
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
      'PASS  scaling: MLP, torch-style over its bare loop (cpu): 0.93x; target <= 1.15x  [wasm 1.2x]',
    )
    const skip: TargetResult = {
      ...base,
      status: 'SKIP',
      measured: null,
      why: 'no torch for /usr/bin/python3',
    }
    expect(formatTarget(skip)).toBe(
      'SKIP (no torch for /usr/bin/python3)  scaling: MLP, torch-style over its bare loop; target <= 1.15x',
    )
  })
  it('exits 1 on any FAIL, 0 with PASS and SKIP only', () => {
    const t = (status: TargetResult['status']): TargetResult => ({ ...base, status, measured: null })
    expect(checkExitCode([t('PASS'), t('SKIP')])).toBe(0)
    expect(checkExitCode([t('PASS'), t('FAIL')])).toBe(1)
    expect(checkExitCode([])).toBe(0)
  })
})
