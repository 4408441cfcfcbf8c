import { mkdir } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { DataError, formatFromPath, readTable, TABLE_FORMATS } from '../src/index.js'
import { fixtures } from './helpers.js'

const { path, read, fail } = fixtures()
const xy = { x: ['a'], y: ['b'] }

const message = (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e: unknown) => (e instanceof DataError ? e.message : `not a DataError: ${e}`),
  )

describe('formats', () => {
  it('lists the formats', () => {
    expect(TABLE_FORMATS).toEqual(['csv', 'tsv', 'json', 'jsonl'])
  })

  it.each([
    ['data.csv', 'csv'],
    ['DATA.CSV', 'csv'],
    ['dir.v2/x.tsv', 'tsv'],
    ['x.Tab', 'tsv'],
    ['x.json', 'json'],
    ['x.jsonl', 'jsonl'],
    ['x.NDJSON', 'jsonl'],
    ['x.txt', null],
    ['csv', null],
    ['.csv', null],
    ['dir.csv/file', null],
  ])('formatFromPath(%s) = %s', (p, format) => {
    expect(formatFromPath(p)).toBe(format)
  })

  it('an unknown extension names the file and lists the formats', async () => {
    expect(await fail('data.txt', 'a,b\n1,2\n', xy)).toBe(
      'data.txt: cannot tell the format from the file extension ".txt"; expected .csv, .tsv/.tab, .json or .jsonl/.ndjson, or give the format (csv, tsv, json, jsonl)',
    )
  })

  it('an explicit format wins over the extension', async () => {
    expect((await read('data.txt', 'a\tb\n1\t2\n', { ...xy, format: 'tsv' })).y[0]).toBe(2)
  })

  it('the label defaults to the path as given', async () => {
    expect(await message(readTable(path('nope.csv'), xy))).toBe(
      `${path('nope.csv')}: cannot read (no such file)`,
    )
  })
})

describe('options and files', () => {
  it('a missing file or a directory cannot be read', async () => {
    expect(await message(readTable(path('nope.csv'), { ...xy, label: 'x.csv' }))).toBe(
      'x.csv: cannot read (no such file)',
    )
    await mkdir(path('dir.csv'))
    expect(await message(readTable(path('dir.csv'), { ...xy, label: 'x.csv' }))).toBe(
      'x.csv: cannot read (is a directory)',
    )
  })

  it.each([
    [{ x: ['a'], y: ['a'] }, 'x.csv: column "a" is in both x and y'],
    [{ x: [], y: ['b'] }, 'x.csv: no x columns given, expected at least one column name'],
    [{ x: ['a'], y: [] }, 'x.csv: no y columns given, expected at least one column name'],
    [{ x: ['a', 'a'], y: ['b'] }, 'x.csv: column "a" is listed twice in x'],
    [{ x: [''], y: ['b'] }, 'x.csv: x columns must be non-empty names, got ""'],
  ])('rejects options %j', async (opts, expected) => {
    expect(await fail('x.csv', 'a,b\n1,2\n', opts)).toBe(expected)
  })
})
