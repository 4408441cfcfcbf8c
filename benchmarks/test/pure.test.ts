import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseSpec, taskOf } from '@dualfit/core'
import { describe, expect, it } from 'vitest'
import { csvText, FEET_PER_METER, makeClassification, makeData, writeData } from '../src/data.js'
import { fingerprint, resultsWithoutTimings } from '../src/identity.js'
import { failureReason } from '../src/pytorch.js'
import type { Finished } from '../src/spawn.js'
import { lastLine } from '../src/spawn.js'
import { speedup } from '../src/suites/parallel.js'
import { protocolEpochs } from '../src/suites/protocols.js'
import { rowsFor, shortN, WORKLOADS, workloadLabel, workloadSpec } from '../src/workloads.js'

describe('scaling workloads', () => {
  it("are the issue's four and a classification one, shrunk tenfold by --quick", () => {
    expect(WORKLOADS.map((w) => [w.n, w.batch, w.inputs, w.hidden, w.classes])).toEqual([
      [1e5, 32, 1, [], null],
      [1e5, 32, 1, [64, 64], null],
      [1e6, 'full', 1, [], null],
      [1e6, 'full', 1, [64, 64], null],
      [1e5, 128, 64, [128], 10],
    ])
    const w = WORKLOADS[3] as (typeof WORKLOADS)[number]
    expect(rowsFor(w, false)).toBe(1e6)
    expect(rowsFor(w, true)).toBe(1e5)
    expect(workloadLabel(w, 1e6)).toBe('N=1e6, full batch, MLP 1-64-64-1 ReLU')
    expect(shortN(12345)).toBe('12,345')
  })
  it('make valid dualfit specs: Adam lr 0.01, MSE or cross_entropy on logits, shuffled, init torch, ReLU hidden layers', () => {
    for (const w of WORKLOADS) {
      const s = parseSpec(workloadSpec(w, '/tmp/data.csv', 3), 'test')
      expect(s.optimizer).toMatchObject({ name: 'adam', lr: 0.01 })
      expect(s).toMatchObject({ epochs: 3, batchSize: w.batch, shuffle: true, init: 'torch' })
      expect(s.model.layers.map((l) => l.activation)).toEqual([...w.hidden.map(() => 'relu'), 'linear'])
      expect(s.model.layers.map((l) => l.units)).toEqual([...w.hidden, w.classes ?? 1])
      expect(s.loss).toEqual(
        w.classes === null
          ? { name: 'mse', delta: 1 }
          : { name: 'cross_entropy', delta: 1, fromLogits: true },
      )
      expect(taskOf(s)).toBe(w.classes === null ? 'regression' : 'classification')
      expect(s.dataset).toMatchObject({
        x: w.inputs === 1 ? ['x'] : Array.from({ length: 64 }, (_, i) => `x${i}`),
      })
    }
    expect(workloadLabel(WORKLOADS[4] as (typeof WORKLOADS)[number], 1e4)).toBe(
      'N=1e4, batch 128, MLP 64-128-10 ReLU, cross_entropy',
    )
  })
})

describe('scaling data', () => {
  it('is seeded, x in [0, 20], y = 3.28084 x in float32', () => {
    const a = makeData(1000)
    expect(makeData(1000).x).toEqual(a.x)
    expect(Math.min(...a.x)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...a.x)).toBeLessThanOrEqual(20)
    expect(a.y[5]).toBe(Math.fround(FEET_PER_METER * (a.x[5] as number)))
  })
  it('reads back from its CSV to the same float32 values', () => {
    const { x, y } = makeData(50)
    const lines = csvText(x, y).trim().split('\n')
    expect(lines[0]).toBe('x,y')
    const back = lines.slice(1).map((l) => l.split(',').map(Number))
    expect(Float32Array.from(back.map((r) => r[0] as number))).toEqual(x)
    expect(Float32Array.from(back.map((r) => r[1] as number))).toEqual(y)
  })
})

describe('classification data', () => {
  it('is seeded, x in [-1, 1], every one of the 10 classes present, none above a third of the rows', () => {
    const a = makeClassification(2000, 64, 10)
    expect(makeClassification(2000, 64, 10)).toEqual(a)
    expect(a.x).toHaveLength(2000 * 64)
    expect(a.x.every((v) => Math.abs(v) <= 1)).toBe(true)
    const counts = new Array<number>(10).fill(0)
    for (const c of a.y) counts[c] = (counts[c] as number) + 1
    expect(counts.every((c) => c > 0 && c < 2000 / 3)).toBe(true)
  })
  it('is written as a CSV of x0..x63, y and as raw float32 (x row-major, then y) with the same values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dualfit-bench-data-'))
    try {
      const { csv, f32 } = writeData(dir, 30, { inputs: 64, classes: 10 })
      const { x, y } = makeClassification(30, 64, 10)
      const lines = readFileSync(csv, 'utf8').trim().split('\n')
      expect(lines[0]).toBe([...Array.from({ length: 64 }, (_, i) => `x${i}`), 'y'].join(','))
      expect(Float32Array.from(lines.slice(1).flatMap((l) => l.split(',').slice(0, 64).map(Number)))).toEqual(
        x,
      )
      expect(Float32Array.from(lines.slice(1).map((l) => Number(l.split(',')[64])))).toEqual(y)
      const raw = new Float32Array(new Uint8Array(readFileSync(f32)).buffer)
      expect(raw.subarray(0, 30 * 64)).toEqual(x)
      expect(raw.subarray(30 * 64)).toEqual(y)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('parallel suite', () => {
  it('compares results with timings removed', () => {
    const a = { trials: [{ id: 't', weights: [1], timings: { trainMs: 5 } }], selection: { selected: 0 } }
    const b = { trials: [{ id: 't', weights: [1], timings: { trainMs: 9 } }], selection: { selected: 0 } }
    const c = { trials: [{ id: 't', weights: [2], timings: { trainMs: 5 } }], selection: { selected: 0 } }
    expect(resultsWithoutTimings(a)).not.toContain('trainMs')
    expect(fingerprint(a)).toBe(fingerprint(b))
    expect(fingerprint(a)).not.toBe(fingerprint(c))
  })
  it('speedup is serial over parallel, null when a run is missing', () => {
    expect(speedup(10, 5)).toBe(2)
    expect(speedup(null, 5)).toBeNull()
    expect(speedup(10, 0)).toBeNull()
  })
  it('protocol epochs shrink tenfold under --quick', () => {
    expect(protocolEpochs(false)).toEqual({ 'seed-keras': 500, 'seed-torch': 100 })
    expect(protocolEpochs(true)).toEqual({ 'seed-keras': 50, 'seed-torch': 10 })
  })
})

describe('why PyTorch is missing', () => {
  const finished = (over: Partial<Finished>): Finished => ({
    code: 1,
    signal: null,
    stdout: '',
    stderr: '',
    ms: 1,
    ...over,
  })
  it('names a missing interpreter, a missing torch, or the last error line', () => {
    const enoent = Object.assign(new Error('spawn /opt/py ENOENT'), { code: 'ENOENT' })
    expect(failureReason('/opt/py', finished({ code: null, spawnError: enoent }))).toBe(
      'no python at /opt/py',
    )
    const noTorch =
      "Traceback (most recent call last):\n  File ...\nModuleNotFoundError: No module named 'torch'\n"
    expect(failureReason('/usr/bin/python3', finished({ stderr: noTorch }))).toBe(
      'no torch for /usr/bin/python3',
    )
    expect(failureReason('py', finished({ stderr: 'x\nValueError: bad\n' }))).toBe(
      'py failed: ValueError: bad',
    )
    expect(failureReason('py', finished({ code: 3 }))).toBe('py failed: exit 3')
  })
  it('lastLine keeps the last non-empty line, shortened', () => {
    expect(lastLine('a\nb\n\n')).toBe('b')
    expect(lastLine('x'.repeat(300), 10)).toBe(`${'x'.repeat(9)}…`)
  })
})
