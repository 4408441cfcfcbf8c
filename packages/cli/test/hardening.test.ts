/** --set, strict numbers, predict's rows and atomic writes: bad input is one line, nothing injected or left behind. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isUserError } from '@dualfit/core'
import fc from 'fast-check'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { parseRows } from '../src/commands/predict.js'
import { writeFiles } from '../src/io.js'
import { nonNegativeInt, positiveInt, strictNumber } from '../src/options.js'
import { loadSpec, parseSet } from '../src/spec.js'

const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort()
function expectUnpolluted(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTO_NAMES)
  for (const k of ['polluted', 'x']) expect(({} as Record<string, unknown>)[k]).toBeUndefined()
}
afterEach(expectUnpolluted)

const dirs: string[] = []
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dualfit-cli-'))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** The one problem of the UserError `f` throws (or rejects with). */
async function problem(f: () => unknown): Promise<string> {
  try {
    await f()
  } catch (e) {
    if (!isUserError(e)) throw e
    expect(e.problems).toHaveLength(1)
    return e.problems[0] as string
  }
  throw new Error('expected a UserError')
}

const spec = {
  name: 't',
  dataset: { builtin: 'meters-feet' },
  model: { layers: [{ units: 1 }] },
  optimizer: { lr: 0.1 },
  epochs: 2,
}
function specFile(text = JSON.stringify(spec)): string {
  const p = join(tempDir(), 'spec.json')
  writeFileSync(p, text)
  return p
}

describe('--set: prototype keys never set', () => {
  it.each([
    [
      '__proto__.polluted=1',
      "--set '__proto__.polluted=1': '__proto__' is not a spec field (expected one of name,",
    ],
    ['constructor.prototype.x=1', "--set 'constructor.prototype.x=1': 'constructor' is not a spec field"],
    ['optimizer.__proto__.lr=1', "--set 'optimizer.__proto__.lr=1': 'optimizer' has no field '__proto__'"],
    [
      'optimizer={"lr":1,"__proto__":{"polluted":1}}',
      `--set 'optimizer={"lr":1,"__proto__":{"polluted":1}}': optimizer.__proto__: '__proto__' is not allowed as a field name`,
    ],
    [
      'grid={"__proto__":[1]}',
      `--set 'grid={"__proto__":[1]}': grid.__proto__: '__proto__' is not allowed as a field name`,
    ],
  ])('parseSet refuses %j', async (item, message) => {
    expect(await problem(() => parseSet(item))).toContain(message)
  })

  it('checks every --set before the first is applied, and grid keys of that shape too', async () => {
    const path = specFile()
    expect(
      await problem(() => loadSpec(path, { set: ['optimizer.lr=0.5', '__proto__.polluted=1'] })),
    ).toContain("--set '__proto__.polluted=1': '__proto__' is not a spec field")
    expect(await problem(() => loadSpec(path, { set: ['grid={"__proto__.x":[1]}'] }))).toContain(
      `${path}: grid."__proto__.x": '__proto__' is not a spec field`,
    )
    expect(await problem(() => loadSpec(path, { set: ['model.layers.3.units=1'] }))).toBe(
      `--set 'model.layers.3.units=1': "model.layers.3.units": index 3 is past the end of 'model.layers' (1 item(s))`,
    )
    const exp = await loadSpec(path, { set: ['optimizer.lr=0.5', 'earlyStopping={"patience":2}'] })
    expect(exp.spec.optimizer.lr).toBe(0.5)
    expect(exp.spec.earlyStopping?.patience).toBe(2)
  })

  it('refuses a spec file with a __proto__ key before copying or patching it', async () => {
    const path = specFile(JSON.stringify(spec).replace('{', '{"__proto__":{"polluted":1},'))
    expect(await problem(() => loadSpec(path, { patch: (raw) => ({ ...raw }) }))).toBe(
      `${path}: __proto__: '__proto__' is not allowed as a field name`,
    )
  })

  it('property: any key=value is a spec path and a JSON value, or one line; Object.prototype untouched', () => {
    const part = fc.oneof(
      fc.constantFrom(
        'optimizer',
        'lr',
        'grid',
        '__proto__',
        'constructor',
        'prototype',
        'model',
        'layers',
        '0',
        'x',
        '',
      ),
      fc.string({ maxLength: 5 }),
    )
    const item = fc
      .tuple(fc.array(part, { minLength: 1, maxLength: 4 }), fc.oneof(fc.json(), fc.string({ maxLength: 8 })))
      .map(([keys, value]) => `${keys.join('.')}=${value}`)
    fc.assert(
      fc.property(fc.oneof(item, fc.string({ maxLength: 20 })), (text) => {
        try {
          const [key] = parseSet(text)
          expect(text.startsWith(`${key}=`)).toBe(true)
        } catch (e) {
          if (!isUserError(e)) throw e
          expect(e.problems).toHaveLength(1)
          expect(e.problems[0]).not.toMatch(/[\r\n]/)
          expect(e.problems[0]?.startsWith('--set ')).toBe(true)
        }
        expectUnpolluted()
      }),
      { seed: 42, numRuns: 200 },
    )
  })
})

describe('numbers on the command line, by the data files rule', () => {
  it('strictNumber takes decimal and scientific notation only', () => {
    expect([' 1.5 ', '-2e3', '.5', '+1'].map(strictNumber)).toEqual([1.5, -2000, 0.5, 1])
    for (const bad of ['', ' ', '0x10', '0b1', '0o7', 'Infinity', 'NaN', '1,5', '1_0', undefined, [1, 2]])
      expect(strictNumber(bad)).toBeNaN()
  })

  it.each([
    ['seeds', positiveInt, '0x10', "--seeds: expected a positive integer, got '0x10'"],
    ['seeds', positiveInt, '', "--seeds: expected a positive integer, got ''"],
    ['seeds', positiveInt, ' ', "--seeds: expected a positive integer, got ' '"],
    ['workers', positiveInt, '1.5', "--workers: expected a positive integer, got '1.5'"],
    ['workers', positiveInt, 'Infinity', "--workers: expected a positive integer, got 'Infinity'"],
    ['seed', nonNegativeInt, '0x10', "--seed: expected an integer >= 0, got '0x10'"],
    ['seed', nonNegativeInt, '', "--seed: expected an integer >= 0, got ''"],
    ['seed', nonNegativeInt, '-1', "--seed: expected an integer >= 0, got '-1'"],
    ['seed', nonNegativeInt, '1e400', "--seed: expected an integer >= 0, got '1e400'"],
  ])('--%s %j is refused', async (name, make, value, message) => {
    expect(await problem(() => make(name)(value))).toBe(message)
  })

  it('takes an integer in any notation that is one (1e3 is 1000), and a default number', () => {
    expect(positiveInt('seeds')('1e3')).toBe(1000)
    expect(positiveInt('seeds')(' 2.0 ')).toBe(2)
    expect(nonNegativeInt('seed')('-0')).toBe(0)
    expect(Object.is(nonNegativeInt('seed')('-0'), -0)).toBe(false)
    expect(nonNegativeInt('seed')(0)).toBe(0)
  })
})

describe("predict's --x rows", () => {
  it.each([
    [['1e39'], 1, "--x #1 '1e39': 1e39 overflows float32 (max 3.4e38)"],
    [[',1'], 2, "--x #1 ',1': value 1 empty, expected 2 comma-separated number(s)"],
    [['1,'], 2, "--x #1 '1,': value 2 empty, expected 2 comma-separated number(s)"],
    [['0x10'], 1, "--x #1 '0x10': expected a decimal number such as 1.5 or -2e3, got '0x10'"],
    [[' '], 1, "--x #1 ' ': empty, expected 1 comma-separated number(s)"],
    [[''], 1, "--x #1 '': empty, expected 1 comma-separated number(s)"],
    [['1', 'NaN'], 1, "--x #2 'NaN': expected a decimal number such as 1.5 or -2e3, got 'NaN'"],
    [['Infinity'], 1, "--x #1 'Infinity': expected a decimal number such as 1.5 or -2e3, got 'Infinity'"],
    [['1,2,3'], 2, "--x #1 '1,2,3': the model takes 2 input(s), got 3"],
  ])('%j (model of %i inputs) is refused', async (xs, inputs, message) => {
    expect(await problem(() => parseRows(xs, inputs))).toBe(message)
  })

  it('reads numbers with spaces around and float32 max itself', () => {
    expect(parseRows([' 1 , -2.5e1', '3.4028235e38,0'], 2)).toEqual([
      [1, -25],
      [3.4028235e38, 0],
    ])
  })
})

describe('writeFiles: all or nothing, no temp file left', () => {
  const leftovers = (dir: string) =>
    readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => f.includes('.tmp'))

  it('writes every file, with no temp file beside them', async () => {
    const dir = tempDir()
    const written = await writeFiles(join(dir, 'out'), {
      'a.json': '{}',
      'sub/b.bin': new Uint8Array([1, 2]),
    })
    expect(written).toEqual([join(dir, 'out', 'a.json'), join(dir, 'out', 'sub/b.bin')])
    expect(readFileSync(join(dir, 'out', 'sub', 'b.bin'))).toEqual(Buffer.from([1, 2]))
    expect(leftovers(dir)).toEqual([])
  })

  it('on a failure half-way, removes its temp files and the folder it made', async () => {
    const dir = tempDir()
    // A NUL in a name fails the open of the second file, after the first is written.
    expect(
      await problem(() => writeFiles(join(dir, 'new', 'deeper'), { 'a.json': '{}', 'b\0': 'x' })),
    ).toMatch(/^cannot write '/)
    expect(readdirSync(dir)).toEqual([])
  })

  it('refuses a target that is a folder before writing any file', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'weights.bin'))
    expect(await problem(() => writeFiles(dir, { 'model.json': '{}', 'weights.bin': 'x' }))).toBe(
      `cannot write '${join(dir, 'weights.bin')}': is a folder`,
    )
    expect(readdirSync(dir)).toEqual(['weights.bin'])
  })

  it('names a folder that cannot be made because a file is in the way', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'file'), 'x')
    expect(await problem(() => writeFiles(join(dir, 'file', 'sub'), { 'm.onnx': 'x' }))).toBe(
      `cannot write '${join(dir, 'file', 'sub')}': a part of the path is a file`,
    )
    expect(await problem(() => writeFiles(join(dir, 'file'), { 'm.onnx': 'x' }))).toBe(
      `cannot write '${join(dir, 'file')}': exists and is not a folder`,
    )
    expect(readdirSync(dir)).toEqual(['file'])
  })
})
