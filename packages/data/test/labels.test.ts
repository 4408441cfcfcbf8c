import { describe, expect, it } from 'vitest'
import { f32, fixtures } from './helpers.js'

const { read, fail } = fixtures()
const xl = { x: ['a'], y: ['c'], labels: true }
const json = (v: unknown) => JSON.stringify(v)
const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`

describe('class labels', () => {
  it.each([
    ['t.csv', 'a,c\n1, virginica\n2,setosa\n3,versicolor \n4,setosa\n'],
    ['t.tsv', 'a\tc\n1\tvirginica\n2\tsetosa\n3\tversicolor\n4\t setosa\n'],
    [
      't.json',
      json([
        { a: 1, c: 'virginica' },
        { a: 2, c: 'setosa' },
        { a: 3, c: 'versicolor' },
        { a: 4, c: 'setosa' },
      ]),
    ],
    [
      't.jsonl',
      jsonl([
        { a: 1, c: 'virginica' },
        { a: 2, c: ' setosa ' },
        { a: 3, c: 'versicolor' },
        { a: 4, c: 'setosa' },
      ]),
    ],
  ])('%s: text labels are sorted classes, y their indices, x stays numeric', async (name, text) => {
    const t = await read(name, text, xl)
    expect(t.labels).toEqual({ classes: ['setosa', 'versicolor', 'virginica'], kind: 'text' })
    expect(t.y).toEqual(f32([2, 0, 1, 0]))
    expect(t.x).toEqual(f32([1, 2, 3, 4]))
  })

  it('numeric labels sort by value and one value is one class, named by its shortest text', async () => {
    const t = await read('n.csv', 'a,c\n1,10\n2,1.0\n3,2\n4,1\n5,-3\n6,+1e1\n7,-0\n8,0\n', xl)
    expect(t.labels).toEqual({ classes: ['-3', '0', '1', '2', '10'], kind: 'integer' })
    expect(t.y).toEqual(f32([4, 2, 3, 2, 0, 4, 1, 1]))
    const j = await read(
      'n.jsonl',
      jsonl([
        { a: 1, c: 2 },
        { a: 2, c: 1.0 },
        { a: 3, c: '1' },
      ]),
      xl,
    )
    expect(j.labels).toEqual({ classes: ['1', '2'], kind: 'integer' })
    expect(j.y).toEqual(f32([1, 0, 0]))
  })

  it('a non-integer number makes the kind number, naming the first row that has one', async () => {
    const t = await read('f.csv', 'a,c\n1,1\n2,0.5\n3,2\n4,0.25\n5,0.50\n', xl)
    expect(t.labels).toEqual({
      classes: ['0.25', '0.5', '1', '2'],
      kind: 'number',
      fraction: { row: 2, text: '0.5' },
    })
    expect(t.y).toEqual(f32([2, 1, 3, 0, 1]))
    // A later row with an earlier-seen text of the same value does not move it.
    const j = await read(
      'f.json',
      json([
        { a: 1, c: 3 },
        { a: 2, c: 2.5 },
        { a: 3, c: ' 1.5' },
      ]),
      xl,
    )
    expect(j.labels?.fraction).toEqual({ row: 2, text: '2.5' })
  })

  it('one label that is not a number makes every label text, sorted by code point as written', async () => {
    const t = await read('m.csv', 'a,c\n1,10\n2,9\n3,1.0\n4,b\n5,B\n6,\u00e9\n7,\ud83d\ude00\n8,\uff5e\n', xl)
    expect(t.labels).toEqual({
      classes: ['1.0', '10', '9', 'B', 'b', '\u00e9', '\uff5e', '\ud83d\ude00'],
      kind: 'text',
    })
    expect(t.y).toEqual(f32([1, 2, 0, 4, 3, 5, 7, 6]))
  })

  it('JSON booleans are the labels true and false', async () => {
    const t = await read(
      'b.jsonl',
      jsonl([
        { a: 1, c: true },
        { a: 2, c: false },
        { a: 3, c: 'true' },
      ]),
      xl,
    )
    expect(t.labels).toEqual({ classes: ['false', 'true'], kind: 'text' })
    expect(t.y).toEqual(f32([1, 0, 1]))
  })

  it.each([
    ['x.csv', 'a,c\n1,p\n2,\n3,q\n', 'x.csv: row 2 (line 3), column "c"'],
    ['x.tsv', 'a\tc\n1\tp\n2\t  \n3\tq\n', 'x.tsv: row 2 (line 3), column "c"'],
    [
      'x.json',
      json([
        { a: 1, c: 'p' },
        { a: 2, c: null },
        { a: 3, c: 'q' },
      ]),
      'x.json: record 2, column "c"',
    ],
    [
      'x.jsonl',
      jsonl([
        { a: 1, c: 'p' },
        { a: 2, c: '' },
        { a: 3, c: 'q' },
      ]),
      'x.jsonl: row 2 (line 2), column "c"',
    ],
  ])('%s: a missing label is an error, or a dropped row with dropMissing', async (name, text, where) => {
    expect(await fail(name, text, xl)).toBe(
      `${where}: missing value (drop such rows with dropMissing / --drop-missing)`,
    )
    const t = await read(name, text, { ...xl, dropMissing: true })
    expect([t.n, t.dropped, t.droppedRows]).toEqual([2, 1, [2]])
    expect(t.labels?.classes).toEqual(['p', 'q'])
    expect(t.y).toEqual(f32([0, 1]))
  })

  it('a dropped row adds no class and counts for no fraction', async () => {
    const t = await read('d.csv', 'a,c\n,0.5\n1,2\n2,1\n', { ...xl, dropMissing: true })
    expect(t.labels).toEqual({ classes: ['1', '2'], kind: 'integer' })
    expect(t.y).toEqual(f32([1, 0]))
  })

  it('x columns must still be numbers', async () => {
    expect(await fail('x.csv', 'a,c\nzz,p\n', xl)).toBe(
      'x.csv: row 1 (line 2), column "a": expected a number, got "zz"',
    )
  })

  it.each([
    [
      { x: ['a'], y: ['b', 'c'], labels: true },
      'x.csv: class labels need exactly one y column, got 2 (b, c)',
    ],
    [{ x: ['a', 'b'], y: ['c'], labels: true }, null],
  ])('y must be one column: %j', async (opts, message) => {
    if (message === null) expect((await read('x.csv', 'a,b,c\n1,2,p\n', opts)).labels?.classes).toEqual(['p'])
    else expect(await fail('x.csv', 'a,b,c\n1,2,p\n', opts)).toBe(message)
  })

  it.each([
    ['x.csv', 'a,c\n1,"p\u001b[31m"\n', 'x.csv: row 1 (line 2), column "c": the class label "p\\u001b[31m"'],
    ['x.csv', 'a,c\n1,"p\nq"\n', 'x.csv: row 1 (line 2), column "c": the class label "p\\nq"'],
    ['x.json', json([{ a: 1, c: 'p\u009b' }]), 'x.json: record 1, column "c": the class label "p\\u009b"'],
  ])('%s: a control character in a label is refused in one line', async (name, text, start) => {
    const message = await fail(name, text, xl)
    expect(message.startsWith(start)).toBe(true)
    expect(message).toMatch(/holds a control character \(U\+[0-9A-F]{4}\); remove it from the data$/)
  })

  it('a stray carriage return in a label says the file mixes line endings', async () => {
    expect(await fail('x.csv', 'a,c\n1,p\rq\n', xl)).toBe(
      'x.csv: row 1 (line 2), column "c": a carriage return (\\r) inside a field; the file mixes line endings (save it with one kind throughout)',
    )
  })

  it.each([
    ['{"v":1}', 'an object'],
    ['[1]', 'an array'],
  ])('JSON: a label %s is refused', async (value, what) => {
    expect(await fail('v.json', `[{"a":1,"c":${value}}]`, xl)).toBe(
      `v.json: record 1, column "c": expected a class label (a string, number or boolean), got ${what}`,
    )
  })

  it('caps label length and the number of classes', async () => {
    expect(await fail('l.csv', `a,c\n1,${'z'.repeat(1001)}\n`, xl)).toBe(
      'l.csv: row 1 (line 2), column "c": a class label of 1001 characters (at most 1000); is it a label?',
    )
    const rows = Array.from({ length: 65537 }, (_, i) => `1,k${i}`)
    expect(await fail('many.csv', `a,c\n${rows.join('\n')}\n`, xl)).toBe(
      'many.csv: row 65537 (line 65538), column "c": more than 65536 distinct class labels; a classification loss needs a column of classes',
    )
  })

  it('keeps many rows as codes across read chunks', async () => {
    const names = ['b', 'a', 'c']
    const rows = Array.from({ length: 100000 }, (_, i) => `${i},${names[i % 3]}`)
    const t = await read('big.csv', `a,c\n${rows.join('\n')}\n`, xl)
    expect(t.labels?.classes).toEqual(['a', 'b', 'c'])
    expect(t.y.length).toBe(100000)
    expect([t.y[0], t.y[1], t.y[2], t.y[99999]]).toEqual([1, 0, 2, 1])
  })
})
