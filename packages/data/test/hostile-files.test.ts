import { describe, expect, it } from 'vitest'
import { duplicateKey } from '../src/json.js'
import { f32, fixtures } from './helpers.js'

const { read, fail } = fixtures()
const xy = { x: ['a'], y: ['b'] }
const twice = (key: string) =>
  `key "${key}" appears twice in one object (JSON would keep only the last); remove or rename one`

describe('duplicate keys in a JSON object', () => {
  it.each([
    ['{"a":1,"a":2}', { item: -1, key: 'a' }],
    ['[{"a":1},{"b":1,"a":2,"b":3}]', { item: 1, key: 'b' }],
    // Escapes are decoded first: "\u0061" is "a".
    ['[{"a":1,"\\u0061":2}]', { item: 0, key: 'a' }],
    ['[{"a":{"c":1,"c":2}}]', { item: 0, key: 'c' }],
    // A key in a string, braces in strings, the same key in sibling objects: no duplicate.
    ['[{"a":"\\"a\\":{","b":[{"a":1},{"a":2}]},{"a":1}]', null],
    ['{"a":1,"b":{"a":2},"c":["a","a"]}', null],
  ])('%s', (text, found) => {
    JSON.parse(text)
    expect(duplicateKey(text)).toEqual(found)
  })

  it('a JSON record with a key twice is an error naming the record and key', async () => {
    const text = '[{"a":1,"b":2},\n{"a":1,"b":2,"a":999}]'
    expect(await fail('d.json', text, xy)).toBe(`d.json: record 2: ${twice('a')}`)
  })

  it('in JSON Lines, naming the row and line, even for a column not read', async () => {
    const text = '{"a":1,"b":2}\n\n{"a":1,"b":2,"c":3,"c":4}\n'
    expect(await fail('d.jsonl', text, xy)).toBe(`d.jsonl: row 2 (line 3): ${twice('c')}`)
  })
})

describe('a line break of the other kind inside a row', () => {
  const mixed =
    'a carriage return (\\r) inside a field; the file mixes line endings (save it with one kind throughout)'
  it.each([
    ['joining two rows', 'a,b\n1,2\n3,4\r5,6\n', `x.csv: row 2 (line 3): ${mixed}`],
    ['after a quoted field', 'a,b\n1,2\n3,"4"\r5,6\n', `x.csv: line 3: ${mixed}`],
    ['in a one-column row', 'a,b\n1,2\n3\r5,6\n', `x.csv: row 2 (line 3), column "a": ${mixed}`],
  ])('%s: says so instead of a field count or a quote', async (_, text, message) => {
    expect(await fail('x.csv', text, xy)).toBe(message)
  })

  it('a line feed in a file of CR lines', async () => {
    expect(await fail('x.csv', 'a,b\r1,2\r3,4\n5,6\r', xy)).toBe(
      'x.csv: row 2 (line 3): a line feed (\\n) inside a field; the file mixes line endings (save it with one kind throughout)',
    )
  })

  it('keeps CRLF files, quoted line breaks of either kind and a trailing CR', async () => {
    const t = await read('ok.csv', 'a,b,c\r\n1,2,"x\ry"\r\n3,4,"p\r\nq"\r\n5,6\r,z\n', xy)
    expect(t.x).toEqual(f32([1, 3, 5]))
    expect(t.y).toEqual(f32([2, 4, 6]))
  })
})

describe('control characters in column names', () => {
  it.each([
    [
      'x.csv',
      'a,"b\u001b[31m"\n1,2\n',
      'x.csv: line 1, column 2 of the header: the column name "b\\u001b[31m"',
    ],
    ['x.tsv', 'a\tb\u0007\n1\t2\n', 'x.tsv: line 1, column 2 of the header: the column name "b\\u0007"'],
    ['x.json', '[{"a":1,"b":2},{"\\u009b":1}]', 'x.json: record 2: the column name "\\u009b"'],
    ['x.jsonl', '{"a":1,"b\\u0000":2}\n', 'x.jsonl: row 1 (line 1): the column name "b\\u0000"'],
  ])('%s: a one-line refusal', async (name, text, start) => {
    const message = await fail(name, text, xy)
    expect(message.startsWith(start)).toBe(true)
    expect(message).toMatch(/holds a control character \(U\+[0-9A-F]{4}\); rename the column$/)
  })
})

describe('a column name with a comma', () => {
  it('reads it when asked for whole', async () => {
    const t = await read('c.csv', '"me,ters",feet\n1,3.28\n2,6.56\n', { x: ['me,ters'], y: ['feet'] })
    expect(t.x).toEqual(f32([1, 2]))
  })

  it('asked for in pieces, says how to name it', async () => {
    expect(await fail('c.csv', '"me,ters",feet\n1,3.28\n', { x: ['me', 'ters'], y: ['feet'] })).toBe(
      'c.csv: no column "me" (a column is named "me,ters": --x and --y split on commas, so write it me\\,ters) (columns: me,ters, feet)',
    )
  })
})
