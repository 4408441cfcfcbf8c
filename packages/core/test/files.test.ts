/** Bounded reads of a user's files, and the trial check the run journal shares with results files. */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { formatBytes, MB, parseTrialResult, readBounded, readBoundedText } from '../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'dualfit-files-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('readBounded', () => {
  it('reads a regular file whole, and strips a UTF-8 BOM from text', () => {
    writeFileSync(join(dir, 'a.json'), '\ufeff{"a":1}')
    expect(readBounded(join(dir, 'a.json'), 'f', MB, 'a test').length).toBe(10)
    expect(readBoundedText(join(dir, 'a.json'), 'f', MB, 'a test')).toBe('{"a":1}')
  })

  it('refuses a file over the limit by its size, naming both', () => {
    const big = join(dir, 'big.json')
    writeFileSync(big, '')
    truncateSync(big, 3 * MB + MB / 2)
    expect(() => readBounded(big, "spec file 'big.json'", 2 * MB, 'a spec file')).toThrow(
      "spec file 'big.json': 3.5 MB is over the 2 MB limit for a spec file",
    )
  })

  it('refuses a folder, a device and a FIFO with no writer at once', () => {
    expect(() => readBounded(dir, 'x', MB, 'a test')).toThrow('x: cannot read (is a directory)')
    expect(() => readBounded('/dev/zero', 'x', MB, 'a test')).toThrow(
      'x: cannot read (not a regular file: a FIFO, a device or a socket)',
    )
    const fifo = join(dir, 'fifo')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    expect(() => readBounded(fifo, 'x', MB, 'a test')).toThrow('x: cannot read (not a regular file')
    expect(() => readBounded(join(dir, 'nope'), 'x', MB, 'a test')).toThrow('x: cannot read (no such file)')
  })

  it('formats sizes for people', () => {
    expect(formatBytes(512)).toBe('512 bytes')
    expect(formatBytes(64 * MB)).toBe('64 MB')
    expect(formatBytes(3.1 * 1024 * MB)).toBe('3.1 GB')
  })
})

describe('parseTrialResult', () => {
  const layers = [{ units: 1 }]
  const trial = (o: Record<string, unknown> = {}) => ({
    id: 'refit/p0/s0',
    stage: 'refit',
    point: 0,
    params: {},
    fold: null,
    seed: 0,
    epochs: 3,
    epochsRun: 3,
    stoppedEpoch: null,
    bestEpoch: null,
    diverged: false,
    steps: 6,
    history: { loss: [3, 2, 1] },
    finalLoss: 1,
    testMse: 0.5,
    weights: [{ inputs: 1, units: 1, kernel: [2], bias: [0] }],
    predictions: [],
    timings: { setupMs: 1, trainMs: 2, totalMs: 3, usPerStep: 1 },
    ...o,
  })
  const w = (kernel: unknown, bias: unknown = [0]) => [{ inputs: 1, units: 1, kernel, bias }]

  it('accepts a trial as the harness writes it, and a diverged one with non-finite numbers', () => {
    expect(parseTrialResult(trial(), layers, 'j').weights[0]?.kernel).toEqual([2])
    const diverged = parseTrialResult(
      trial({
        diverged: true,
        weights: w(['NaN'], ['Infinity']),
        finalLoss: 'Infinity',
        testMse: 'Infinity',
      }),
      layers,
      'j',
    )
    expect(diverged.weights[0]?.kernel[0]).toBeNaN()
    expect(diverged.testMse).toBe(Number.POSITIVE_INFINITY)
  })

  it.each([
    [{ weights: w('oops') }, 'j: weights[0].kernel: expected an array'],
    [{ weights: w([[999]]) }, 'j: weights[0].kernel[0]: expected a number'],
    [{ weights: w([1, 2]) }, 'j: weights[0]: expected a [1, 1] kernel (1 values)'],
    [
      { weights: w(['NaN']) },
      'j: weights[0].kernel[0]: expected a finite number (the trial did not diverge)',
    ],
    [{ testMse: 'Infinity' }, 'j: testMse: expected a finite number >= 0 (the trial did not diverge)'],
    [{ testMse: -1 }, 'j: testMse: expected a finite number >= 0'],
    [{ fold: 'x' }, 'j: fold:'],
    [{ history: undefined }, 'j: history:'],
  ])('refuses %j in one line', (o, message) => {
    expect(() => parseTrialResult(trial(o), layers, 'j')).toThrow(message)
  })
})
