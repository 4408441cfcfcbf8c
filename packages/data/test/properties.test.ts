/**
 * Property-based tests (fast-check, fixed seed, bounded runs): whatever bytes a CSV, TSV, JSON or
 * JSONL file holds, readTable gives a Table of finite float32 values or a one-line DataError naming
 * the file, never another exception. The temp folder is removed after the tests.
 */
import { writeFile } from 'node:fs/promises'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DataError, parseNumber, readTable, type TableFormat } from '../src/index.js'
import { fixtures } from './helpers.js'

const RUNS = { seed: 42, numRuns: 200 }
const EXT: Record<TableFormat, string> = { csv: 'csv', tsv: 'tsv', json: 'json', jsonl: 'jsonl' }
const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort()

const { path } = fixtures()
let files = 0

/** Reads `content` as a file of `format`; checks the outcome and returns which it was. */
async function check(
  format: TableFormat,
  content: string | Uint8Array,
  dropMissing: boolean,
): Promise<string> {
  const name = `f${files++}.${EXT[format]}`
  await writeFile(path(name), content)
  let outcome = 'table'
  try {
    const t = await readTable(path(name), { label: name, x: ['a'], y: ['b'], dropMissing })
    expect(t.n).toBeGreaterThan(0)
    expect(t.x).toHaveLength(t.n)
    expect(t.y).toHaveLength(t.n)
    for (const v of [...t.x, ...t.y]) expect(Number.isFinite(v)).toBe(true)
  } catch (e) {
    if (!(e instanceof DataError)) throw new Error(`not a DataError: ${(e as Error)?.stack ?? String(e)}`)
    expect(e.message).not.toMatch(/[\r\n]/)
    expect(e.message.startsWith(`${name}: `)).toBe(true)
    outcome = 'error'
  }
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTO_NAMES)
  return outcome
}

const format = fc.constantFrom<TableFormat>('csv', 'tsv', 'json', 'jsonl')

/** Cells near the rules' edges: numbers, blanks, hex, overflow, NaN spellings, quotes, anything. */
const cell = fc.oneof(
  fc.constantFrom(
    '1',
    '-2.5',
    '.5',
    '3.',
    '1e3',
    ' 4 ',
    '',
    ' ',
    '0x10',
    '1e39',
    '3.4028235e38',
    'NaN',
    'inf',
    'NA',
    '"7"',
    '"a,b"',
    '1,5',
    '+1e-3',
  ),
  fc.double().map(String),
  fc.string({ maxLength: 6 }),
)
const header = fc.oneof(
  fc.constantFrom('a,b', 'a,b,c', 'b,a', 'a', 'x,y', '"a","b"', '\uFEFFa,b', 'a,a,b', ''),
  fc
    .array(fc.constantFrom('a', 'b', 'c', '__proto__', 'constructor', ''), { maxLength: 4 })
    .map((h) => h.join(',')),
)

const delimited = fc
  .tuple(
    header,
    fc.array(fc.array(cell, { maxLength: 4 }), { maxLength: 6 }),
    fc.constantFrom('\n', '\r\n', '\r'),
  )
  .map(([head, rows, eol]) => [head, ...rows.map((r) => r.join(','))].join(eol))

const jsonValue = fc.oneof(
  fc.constantFrom(1, -2.5, 0, 1e39, 1e308, null, '1', 'x', true, [], {}),
  fc.double().filter(Number.isFinite),
)
const record = fc
  .array(fc.tuple(fc.constantFrom('a', 'b', 'c', '__proto__', 'constructor', 'toString'), jsonValue), {
    maxLength: 4,
  })
  .map((kv) => `{${kv.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`)
const jsonDoc = fc.oneof(
  fc.array(record, { maxLength: 5 }).map((rs) => `[${rs.join(',')}]`),
  fc.array(record, { maxLength: 5 }).map((rs) => rs.join('\n')),
  fc.json(),
)

// Hundreds of files written and read: more than the default 5 s on a slow machine.
describe('readTable on any file content', { timeout: 60_000 }, () => {
  it('arbitrary bytes: a Table or a one-line DataError', async () => {
    await fc.assert(
      fc.asyncProperty(format, fc.uint8Array({ maxLength: 64 }), fc.boolean(), async (f, bytes, drop) => {
        await check(f, bytes, drop)
      }),
      RUNS,
    )
  })

  it('arbitrary text (any code point): a Table or a one-line DataError', async () => {
    await fc.assert(
      fc.asyncProperty(
        format,
        fc.string({ unit: 'binary', maxLength: 64 }),
        fc.boolean(),
        async (f, text, drop) => {
          await check(f, text, drop)
        },
      ),
      RUNS,
    )
  })

  it('CSV-like and JSON-like text: a Table or a one-line DataError, and some of each', async () => {
    const seen = new Set<string>()
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(fc.constant<TableFormat>('csv'), delimited),
          fc.tuple(
            fc.constant<TableFormat>('tsv'),
            delimited.map((t) => t.replaceAll(',', '\t')),
          ),
          fc.tuple(fc.constantFrom<TableFormat>('json', 'jsonl'), jsonDoc),
        ),
        fc.boolean(),
        async ([f, text], drop) => {
          seen.add(await check(f, text, drop))
        },
      ),
      RUNS,
    )
    expect([...seen].sort()).toEqual(['error', 'table'])
  })
})

describe('parseNumber, the one strict number rule', () => {
  it('agrees with Number() on decimal notation and refuses what Number() would wrongly take', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        for (const text of [String(d), d.toExponential(), d.toFixed(3)])
          expect(Object.is(parseNumber(text), Number(text)) || (d === 0 && parseNumber(text) === 0)).toBe(
            true,
          )
      }),
      RUNS,
    )
    for (const text of [
      '',
      ' ',
      '0x10',
      '0b1',
      '0o7',
      'Infinity',
      '-Infinity',
      'NaN',
      '1,5',
      ',1',
      '1_000',
      '1e',
      '.',
      '-',
    ])
      expect(parseNumber(text)).toBeNaN()
  })
})
