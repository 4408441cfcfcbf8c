import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { readTable } from '../src/index.js'
import { f32, fixtures } from './helpers.js'

const { read, fail } = fixtures()
const xy = { x: ['a'], y: ['b'] }
const json = (v: unknown) => JSON.stringify(v)

describe('reading JSON', () => {
  it('reads an array of objects; columns are the union of keys in first-seen order', async () => {
    const t = await read(
      't.json',
      json([
        { name: 'x', b: 2, a: 1 },
        { a: 3, b: 4.5, c: true },
      ]),
      {
        x: ['a'],
        y: ['b'],
      },
    )
    expect(t.columns).toEqual(['name', 'b', 'a', 'c'])
    expect(t.x).toEqual(f32([1, 3]))
    expect(t.y).toEqual(f32([2, 4.5]))
  })

  it('lays out several x columns row-major, in the order asked', async () => {
    const t = await read(
      'm.json',
      json([
        { p: 1, q: 2, r: 3, s: 4 },
        { p: 5, q: 6, r: 7, s: 8 },
      ]),
      {
        x: ['r', 'p', 'q'],
        y: ['s'],
      },
    )
    expect(t.x).toEqual(f32([3, 1, 2, 7, 5, 6]))
    expect(t.y).toEqual(f32([4, 8]))
  })

  it('treats null and a missing key as missing; dropMissing drops and counts', async () => {
    const data = [{ a: 1, b: 2 }, { a: null, b: 3 }, { b: 4 }, { a: 5, b: 6 }]
    expect(await fail('m.json', json(data), xy)).toBe(
      'm.json: record 2, column "a": missing value (drop such rows with dropMissing / --drop-missing)',
    )
    const t = await read('m.json', json(data), { ...xy, dropMissing: true })
    expect([t.n, t.dropped, t.droppedRows]).toEqual([2, 2, [2, 3]])
    expect(t.x).toEqual(f32([1, 5]))
  })

  it.each([
    ['"abc"', 'expected a number, got "abc"'],
    ['"12"', 'expected a number, got "12" (a string: write numbers without quotes)'],
    ['true', 'expected a number, got true'],
    ['{"v":1}', 'expected a number, got an object'],
    ['[1]', 'expected a number, got an array'],
    ['1e39', '1e+39 overflows float32 (max 3.4e38)'],
    ['-1e308', '-1e+308 overflows float32 (max 3.4e38)'],
    ['1e400', 'Infinity is not allowed'],
  ])('rejects %s', async (value, what) => {
    expect(await fail('v.json', `[{"a":1,"b":2},{"a":3,"b":${value}}]`, xy)).toBe(
      `v.json: record 2, column "b": ${what}`,
    )
  })

  it('rejects anything but an array of objects', async () => {
    expect(await fail('o.json', json({ data: [] }), xy)).toBe(
      'o.json: expected an array of objects at the top level, got an object',
    )
    expect(await fail('n.json', '42', xy)).toBe(
      'n.json: expected an array of objects at the top level, got the number 42',
    )
    expect(await fail('r.json', json([{ a: 1, b: 2 }, [3, 4]]), xy)).toBe(
      'r.json: record 2: expected an object, got an array',
    )
    expect(await fail('e.json', '[]', xy)).toBe('e.json: no records, the array is empty')
  })

  it('names a missing column, listing the keys', async () => {
    expect(
      await fail('cars.json', json([{ Name: 'x', Horsepower: 1, mpg: 2 }]), { x: ['Horsepowr'], y: ['mpg'] }),
    ).toBe('cars.json: no column "Horsepowr" (columns: Name, Horsepower, mpg)')
  })

  it('reports invalid JSON on one line with the line, hinting at JSON Lines', async () => {
    const message = await fail('bad.json', '[\n{"a": 1, "b": 2},\n{"a": 3, "b": }\n]', xy)
    // Node 20 does not say where this one is; newer versions do.
    expect(message).toMatch(/^bad\.json: not valid JSON( at line 3)? \(.+\)$/)
    expect(await fail('lines.json', '{"a":1,"b":2}\n{"a":3,"b":4}\n', xy)).toMatch(
      /^lines\.json: not valid JSON at line 2 \(.+\); one object per line is JSON Lines \(\.jsonl\)$/,
    )
  })

  it('empty and binary files', async () => {
    expect(await fail('e.json', '  \n', xy)).toBe('e.json: empty file, expected an array of objects')
    expect(await fail('b.json', Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), xy)).toBe(
      'b.json: looks like a binary file, expected JSON text',
    )
  })
})

describe('reading JSON Lines', () => {
  it('reads one object per line, skipping blank lines, with a BOM and CRLF', async () => {
    const t = await read('t.jsonl', '\ufeff{"a":1,"b":2}\r\n\r\n{"a":3,"b":4,"c":"x"}\r\n', xy)
    expect(t.columns).toEqual(['a', 'b', 'c'])
    expect(t.x).toEqual(f32([1, 3]))
    expect((await read('t.ndjson', '{"a":1,"b":2}', xy)).n).toBe(1)
  })

  it('names row and line (blank lines count as lines only)', async () => {
    expect(await fail('t.jsonl', '{"a":1,"b":2}\n\n{"a":"abc","b":2}\n', xy)).toBe(
      't.jsonl: row 2 (line 3), column "a": expected a number, got "abc"',
    )
    expect(await fail('t.jsonl', '{"a":1,"b":2}\n\n{"a":null,"b":2}\n', xy)).toBe(
      't.jsonl: row 2 (line 3), column "a": missing value (drop such rows with dropMissing / --drop-missing)',
    )
  })

  it('invalid JSON or a non-object on a line names the line', async () => {
    expect(await fail('t.jsonl', '{"a":1,"b":2}\n{"a":1,\n', xy)).toMatch(
      /^t\.jsonl: line 2: not valid JSON \(.+\)$/,
    )
    expect(await fail('t.jsonl', '{"a":1,"b":2}\n[1,2]\n', xy)).toBe(
      't.jsonl: row 2 (line 2): expected a JSON object, got an array',
    )
  })

  it('a key that never appears is a missing column; one that appears later makes earlier rows missing', async () => {
    expect(await fail('t.jsonl', '{"a":1}\n{"a":2}\n', xy)).toBe('t.jsonl: no column "b" (columns: a)')
    expect(await fail('t.jsonl', '{"a":1}\n{"a":2,"b":3}\n', xy)).toBe(
      't.jsonl: row 1 (line 1), column "b": missing value (drop such rows with dropMissing / --drop-missing)',
    )
    const t = await read('t.jsonl', '{"a":1}\n{"a":2,"b":3}\n', { ...xy, dropMissing: true })
    expect([t.n, t.dropped, t.droppedRows]).toEqual([1, 1, [1]])
  })

  it('looks only at own keys (a column may be called "constructor")', async () => {
    const t = await read('c.jsonl', '{"a":1,"constructor":2}\n{"a":3}\n', {
      x: ['a'],
      y: ['constructor'],
      dropMissing: true,
    })
    expect([t.n, t.dropped, Array.from(t.y)]).toEqual([1, 1, [2]])
  })

  it('binary file', async () => {
    expect(await fail('b.jsonl', gzipSync('{"a":1}\n'), xy)).toBe(
      'b.jsonl: looks like a binary file, expected JSON Lines text',
    )
  })

  it('empty file', async () => {
    expect(await fail('e.jsonl', '\n\n', xy)).toBe('e.jsonl: empty file, expected one JSON object per line')
  })
})

describe('the cars data set (vega-datasets)', () => {
  // The package's exports map hides data/, so locate it from its entry point (build/index.js).
  const require = createRequire(import.meta.url)
  const carsJson = join(dirname(require.resolve('vega-datasets')), '..', 'data', 'cars.json')

  it('reads Horsepower -> Miles_per_Gallon, dropping the 14 records with a null', async () => {
    const t = await readTable(carsJson, { x: ['Horsepower'], y: ['Miles_per_Gallon'], dropMissing: true })
    expect(t.n).toBe(392)
    expect(t.dropped).toBe(14)
    expect(t.droppedRows).toEqual([11, 12, 13, 14, 15])
    expect(t.columns).toEqual([
      'Name',
      'Miles_per_Gallon',
      'Cylinders',
      'Displacement',
      'Horsepower',
      'Weight_in_lbs',
      'Acceleration',
      'Year',
      'Origin',
    ])
    expect([t.x[0], t.y[0]]).toEqual([130, 18])
  })

  it('without dropMissing names the first record with a null', async () => {
    const err = await readTable(carsJson, {
      x: ['Horsepower'],
      y: ['Miles_per_Gallon'],
      label: 'cars.json',
    }).catch((e: Error) => e.message)
    expect(err).toBe(
      'cars.json: record 11, column "Miles_per_Gallon": missing value (drop such rows with dropMissing / --drop-missing)',
    )
  })
})
