import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { renderText, writeAtomic } from '../src/output.js'
import { withRatio } from '../src/ratio.js'
import {
  BENCH_SCHEMA_VERSION,
  buildDocument,
  documentJson,
  type Environment,
  footerLine,
} from '../src/schema.js'
import { memoryRows } from '../src/suites/memory.js'
import { evaluateTargets, TARGETS } from '../src/targets.js'
import type { BenchOptions, BenchRow } from '../src/types.js'

const environment: Environment = {
  node: 'v20.20.2',
  platform: 'linux',
  arch: 'x64',
  cpu: 'Test CPU',
  cores: 2,
  memoryGB: 23.5,
  pytorch: { python: '/usr/bin/python3', available: false, why: 'no torch for /usr/bin/python3' },
  packages: { '@dualfit/torch-style': '0.1.0' },
}
const options: BenchOptions = {
  suites: ['scaling', 'memory'],
  quick: true,
  check: true,
  device: 'all',
  format: 'table',
}
const rows: BenchRow[] = [
  withRatio({
    suite: 'scaling',
    key: 'scaling/1e6-full-mlp',
    case: 'N=1e5, full batch, MLP 1-64-64-1 ReLU',
    backend: 'torch-style',
    engine: 'cpu',
    default: true,
    unit: 'ms/epoch',
    value: 159,
    pytorch: null,
    pytorchWhy: 'no torch for /usr/bin/python3',
    bare: 150,
    notes: '1 epoch(s)',
  }),
  ...memoryRows([
    {
      suite: 'scaling',
      key: 'memory/scaling/1e6-full-mlp',
      case: 'scaling: N=1e5 MLP',
      backend: 'torch-style',
      engine: 'cpu',
      default: true,
      kb: 512 * 1024,
      pytorchKb: 256 * 1024,
      bareKb: 400 * 1024,
    },
  ]),
]

function doc() {
  return buildDocument({
    date: new Date('2026-11-29T10:00:00Z'),
    options,
    environment,
    rows,
    skipped: ['keras-style webgl (gpu): no WebGL'],
    targets: evaluateTargets(TARGETS, rows, options.suites),
  })
}

describe('the bench document', () => {
  it('is versioned and carries the environment, rows and targets', () => {
    const d = doc()
    expect(d.schemaVersion).toBe(BENCH_SCHEMA_VERSION)
    expect(d.kind).toBe('dualfit.bench')
    expect(d.date).toBe('2026-11-29T10:00:00.000Z')
    expect(d.environment.cores).toBe(2)
    expect(d.rows).toHaveLength(2)
    expect(d.targets).toHaveLength(TARGETS.length)
  })
  it('turns non-finite numbers into null in its JSON', () => {
    const d = { ...doc(), rows: [{ ...(rows[0] as BenchRow), value: Number.POSITIVE_INFINITY }] }
    const back = JSON.parse(documentJson(d))
    expect(back.rows[0].value).toBeNull()
    expect(back.kind).toBe('dualfit.bench')
  })
  it('memory rows are in MB with their ratio', () => {
    const m = rows[1] as BenchRow
    expect(m).toMatchObject({
      suite: 'memory',
      unit: 'MB',
      value: 512,
      pytorch: 256,
      ratio: 2,
      bare: 400,
      overhead: 1.28,
      engineRatio: 400 / 256,
    })
  })
})

describe('renderText', () => {
  it('prints a table per suite, the footer and the target lines; no PyTorch leaves the overhead judged', () => {
    const text = renderText(doc())
    expect(text).toContain('overhead')
    expect(text).toContain('engine/PyTorch')
    expect(text).toContain('2026-11-29 10:00 UTC · node v20.20.2 · Test CPU, 2 cores')
    expect(text).toContain('FAIL  memory: peak RSS')
    expect(text).toContain('1.28x; target <= 1.15x')
    expect(text).toContain('PASS  scaling: N=1e6, full batch, MLP')
    expect(text).toContain('1.06x; target <= 1.15x; engine vs PyTorch — (not judged)')
    expect(text).toContain('SKIP (suite parallel not run)')
    // Skipped engines are listed for one device, not for --device all.
    expect(text).not.toContain('skipped keras-style webgl')
  })
  it('footer names PyTorch when there is one', () => {
    const line = footerLine({
      date: '2026-11-29T10:00:00.000Z',
      options,
      environment: {
        ...environment,
        pytorch: {
          python: '/usr/bin/python3',
          available: true,
          torch: '1.13.0',
          pythonVersion: '3.11.2',
          threads: 1,
        },
      },
    })
    expect(line).toContain('PyTorch 1.13.0 (/usr/bin/python3, Python 3.11.2, 1 thread)')
  })
})

describe('writeAtomic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dualfit-bench-test-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  it('writes the whole file and leaves no temp file', () => {
    const path = join(dir, 'sub', 'bench.json')
    writeAtomic(path, '{"a":1}\n')
    writeAtomic(path, '{"a":2}\n')
    expect(readFileSync(path, 'utf8')).toBe('{"a":2}\n')
    expect(readdirSync(join(dir, 'sub'))).toEqual(['bench.json'])
  })
})

describe('suite tables', () => {
  it('leave out the notes column when no row has notes', () => {
    const memoryOnly = buildDocument({
      date: new Date('2026-11-29T10:00:00Z'),
      options: { ...options, suites: ['memory'], check: false },
      environment,
      rows: rows.filter((r) => r.suite === 'memory'),
      skipped: [],
      targets: [],
    })
    const text = renderText(memoryOnly)
    expect(text).toContain('peak RSS')
    expect(text).toContain('512 MB')
    expect(text).not.toContain('notes')
  })
})
