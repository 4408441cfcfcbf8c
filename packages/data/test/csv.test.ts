import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { f32, fixtures } from './helpers.js'

const { read, fail } = fixtures()
const xy = { x: ['a'], y: ['b'] }

describe('reading CSV and TSV', () => {
  it('returns requested columns row-major, in the order asked, as float32', async () => {
    const t = await read('t.csv', 'name,a,b,c\nfoo,1,0.1,3\nbar,4,5,6\n', { x: ['c', 'a'], y: ['b'] })
    expect(t.n).toBe(2)
    expect(t.columns).toEqual(['name', 'a', 'b', 'c'])
    expect(t.x).toEqual(f32([3, 1, 6, 4]))
    expect(t.y).toEqual(f32([0.1, 5]))
    expect(t.y[0]).toBe(Math.fround(0.1))
    expect(t.x.buffer.byteLength).toBe(4 * 4)
    expect(t.dropped).toBe(0)
    expect(t.droppedRows).toEqual([])
  })

  it('handles a BOM, CRLF line endings and a blank last line', async () => {
    const t = await read('bom.csv', '\ufeffa,b\r\n1,2\r\n3,4\r\n\r\n', xy)
    expect(t.columns).toEqual(['a', 'b'])
    expect(t.x).toEqual(f32([1, 3]))
    expect(t.y).toEqual(f32([2, 4]))
  })

  it('handles a file without a final newline and a lone-CR (classic Mac) file', async () => {
    expect((await read('nofinal.csv', 'a,b\n1,2\n3,4', xy)).n).toBe(2)
    expect((await read('mac.csv', 'a,b\r1,2\r3,4\r', xy)).y).toEqual(f32([2, 4]))
  })

  it('handles quoted fields: delimiters, newlines and "" inside, and counts lines across them', async () => {
    const csv = 'name,a,b\n"x, y",1,2\n"he said ""hi""\nand left",3,4\n"","5","6"\nz,7,oops\n'
    expect((await fail('q.csv', csv, xy)).toString()).toBe(
      'q.csv: row 4 (line 6), column "b": expected a number, got "oops"',
    )
    const t = await read('q.csv', csv.replace('oops', '8'), xy)
    expect(t.x).toEqual(f32([1, 3, 5, 7]))
    expect(t.y).toEqual(f32([2, 4, 6, 8]))
  })

  it('accepts decimal and scientific notation with spaces around', async () => {
    const t = await read('sci.csv', 'a,b\n1e-3,2.5E+10\n-.5, +3 \n7.,-0\n', xy)
    expect(t.x).toEqual(f32([1e-3, -0.5, 7]))
    expect(t.y).toEqual(f32([2.5e10, 3, -0]))
  })

  it('reads TSV, with .tab as TSV too', async () => {
    const t = await read('t.tsv', 'a\tb\tnote\n1\t2\thas, comma\n3\t4\tx\n', xy)
    expect(t.x).toEqual(f32([1, 3]))
    expect((await read('t.tab', 'a\tb\n5\t6\n', xy)).y).toEqual(f32([6]))
  })

  it('skips blank lines, counting them in line numbers but not in row numbers', async () => {
    expect(await fail('blank.csv', 'a,b\n1,2\n\n   \n3,x\n', xy)).toBe(
      'blank.csv: row 2 (line 5), column "b": expected a number, got "x"',
    )
  })

  it('ignores text in columns that are not read', async () => {
    const t = await read('text.csv', 'Name,a,Origin,b\nchevy,1,USA,2\n', xy)
    expect(t.n).toBe(1)
  })

  it('drops rows with missing values when asked, counting them', async () => {
    const rows = ['a,b', '1,2', ',3', '4,', '5,6']
    for (let i = 0; i < 6; i++) rows.push(`,${i}`)
    const t = await read('drop.csv', `${rows.join('\n')}\n`, { ...xy, dropMissing: true })
    expect(t.n).toBe(2)
    expect(t.x).toEqual(f32([1, 5]))
    expect(t.dropped).toBe(8)
    expect(t.droppedRows).toEqual([2, 3, 5, 6, 7])
  })

  it('keeps reading past chunk boundaries: quoted multi-line fields, CRLF, line numbers', async () => {
    const lines = ['id,note,a,b']
    let line = 1
    let expectLine = 0
    for (let i = 1; i <= 30000; i++) {
      const note = i % 7 === 0 ? `"multi\r\nline, ""${i}"""` : `plain ${i}`
      lines.push(`${i},${note},${i / 4},${i % 2 === 0 ? -i : i * 1e-3}`)
      line += 1 + (i % 7 === 0 ? 1 : 0)
      if (i === 30000) expectLine = line
    }
    const csv = `${lines.join('\r\n')}\r\n`
    expect(csv.length).toBeGreaterThan(3 * 256 * 1024)
    const t = await read('big.csv', csv, xy)
    expect(t.n).toBe(30000)
    expect(t.x[29999]).toBe(7500)
    expect(t.y[12344]).toBe(Math.fround(12345 * 1e-3))
    const bad = csv.replace(/,-30000\r\n$/, ',bad\r\n')
    expect(await fail('big.csv', bad, xy)).toBe(
      `big.csv: row 30000 (line ${expectLine}), column "b": expected a number, got "bad"`,
    )
  })

  it('a closing quote right at a read-chunk boundary is not mistaken for a malformed quote', async () => {
    const chunk = 256 * 1024 // the reader's chunk size
    for (let d = -3; d <= 2; d++) {
      // Row 2's closing quote lands at chunk + d: on either side of the cut, or its CRLF split by it.
      const head = 'a,b,c\r\n'
      const tail = '3,5,"4"'
      const pad = chunk + d - head.length - '1,2,\r\n'.length - tail.length + 1
      const csv = `${head}1,2,${'x'.repeat(pad)}\r\n${tail}\r\n6,7,"8"  \r\n`
      expect(csv.indexOf('"4"') + 2).toBe(chunk + d)
      const t = await read('cut.csv', csv, { x: ['a'], y: ['b'] })
      expect(t.y).toEqual(f32([2, 5, 7]))
    }
  })

  it('reads a float32 max as numpy prints it', async () => {
    expect((await read('max.csv', 'a,b\n3.4028235e38,-3.4028235e38\n', xy)).y[0]).toBe(-3.4028234663852886e38)
  })
})

describe('CSV errors: one line naming file, row, line, column and what was expected', () => {
  it('non-numeric cell, with the value quoted and cut to about 40 characters', async () => {
    expect(
      await fail('cars.csv', 'Name,Horsepower,mpg\nx,130,18\ny,abc,15\n', { x: ['Horsepower'], y: ['mpg'] }),
    ).toBe('cars.csv: row 2 (line 3), column "Horsepower": expected a number, got "abc"')
    const long = 'z'.repeat(100)
    expect(await fail('long.csv', `a,b\n1,${long}\n`, xy)).toBe(
      `long.csv: row 1 (line 2), column "b": expected a number, got "${'z'.repeat(37)}..."`,
    )
  })

  it.each([
    ['0x10', 'expected a number, got "0x10"'],
    ['0o7', 'expected a number, got "0o7"'],
    ['0b1', 'expected a number, got "0b1"'],
    ['1_000', 'expected a number, got "1_000"'],
    ['1,5', null], // a quoted decimal comma
    ['1e', 'expected a number, got "1e"'],
    ['.', 'expected a number, got "."'],
    ['NA', 'expected a number, got "NA" (only an empty cell counts as missing)'],
    ['NaN', 'NaN is not allowed'],
    ['nan', 'NaN is not allowed'],
    ['Infinity', 'Infinity is not allowed'],
    ['-inf', 'Infinity is not allowed'],
    ['inf', 'Infinity is not allowed'],
    ['1e39', '1e39 overflows float32 (max 3.4e38)'],
    ['-1e308', '-1e308 overflows float32 (max 3.4e38)'],
    ['1e400', '1e400 overflows float32 (max 3.4e38)'],
  ])('rejects %s', async (cell, what) => {
    const csv = `a,b\n1,2\n3,"${cell}"\n`
    const message = await fail('n.csv', csv, xy)
    expect(message).toBe(`n.csv: row 2 (line 3), column "b": ${what ?? 'expected a number, got "1,5"'}`)
  })

  it('missing column, listing the columns there are (cut when very long)', async () => {
    expect(
      await fail('cars.csv', 'Name,Miles_per_Gallon,Horsepower\nx,1,2\n', {
        x: ['Horsepowr'],
        y: ['Miles_per_Gallon'],
      }),
    ).toBe('cars.csv: no column "Horsepowr" (columns: Name, Miles_per_Gallon, Horsepower)')
    expect(await fail('case.csv', 'A,b\n1,2\n', xy)).toBe(
      'case.csv: no column "a" (did you mean "A"?) (columns: A, b)',
    )
    const many = Array.from({ length: 100 }, (_, i) => `column_${i}`)
    const message = await fail('wide.csv', `${many.join(',')}\n${many.map(() => 1).join(',')}\n`, xy)
    expect(message).toMatch(
      /^wide\.csv: no column "a" \(columns: column_0, column_1, .*, \.\.\. \(\+\d+ more\)\)$/,
    )
    expect(message.length).toBeLessThan(300)
  })

  it.each([
    ['0 bytes', ''],
    ['whitespace', ' \n\n  \r\n'],
    ['a BOM only', '\ufeff'],
  ])('empty file (%s)', async (_, content) => {
    expect(await fail('x.csv', content, xy)).toBe('x.csv: empty file, expected a header row and data rows')
  })

  it('header only', async () => {
    expect(await fail('x.csv', 'a,b\n', xy)).toBe('x.csv: no data rows after the header')
    expect(await fail('x.csv', 'a,b', xy)).toBe('x.csv: no data rows after the header')
    expect(await fail('x.csv', 'a,b\n\n\n', xy)).toBe('x.csv: no data rows after the header')
  })

  it('duplicate column names, with both positions', async () => {
    expect(await fail('dup.csv', 'a,b,a\n1,2,3\n', xy)).toBe(
      'dup.csv: duplicate column "a" in the header (columns 1 and 3, line 1)',
    )
  })

  it('ragged rows', async () => {
    expect(await fail('r.csv', 'a,b,c\n1,2,3\n4,5\n', xy)).toBe(
      'r.csv: row 2 (line 3): expected 3 fields, got 2',
    )
    expect(await fail('r.csv', 'a,b\n1,2.5,3\n', xy)).toBe(
      'r.csv: row 1 (line 2): expected 2 fields, got 3; quote fields that contain commas',
    )
  })

  it('binary files', async () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48])
    expect(await fail('x.csv', png, xy)).toBe('x.csv: looks like a binary file, expected CSV text')
    expect(await fail('x.csv', gzipSync('a,b\n1,2\n'), xy)).toBe(
      'x.csv: looks like a binary file, expected CSV text',
    )
    expect(await fail('x.tsv', png, xy)).toBe('x.tsv: looks like a binary file, expected TSV text')
    // Latin-1 text: no NUL byte, but not UTF-8.
    expect(
      await fail('latin1.csv', Uint8Array.from([0x61, 0x2c, 0x62, 0x0a, 0xe9, 0x2c, 0x31, 0x0a]), xy),
    ).toBe(
      'latin1.csv: looks like a binary file, expected CSV text (not valid UTF-8: save it as UTF-8 if it is text)',
    )
  })

  it('a file separated by something else suggests the delimiter', async () => {
    expect(await fail('x.csv', 'a;b;c\n1;2;3\n', xy)).toBe(
      "x.csv: no column \"a\" (columns: a;b;c); the file looks ';'-separated: convert it to CSV (',') or TSV (tab-separated) first",
    )
    expect(await fail('x.csv', 'a\tb\tc\n1\t2\t3\n', xy)).toBe(
      'x.csv: no column "a" (columns: a\tb\tc); the file looks tab-separated: read it as TSV (format \'tsv\', --format-data tsv)',
    )
    expect(await fail('x.tsv', 'a,b,c\n1,2,3\n', xy)).toBe(
      'x.tsv: no column "a" (columns: a,b,c); the file looks comma-separated: read it as CSV (format \'csv\', --format-data csv)',
    )
    expect(await fail('x.csv', 'a|b\n1|2\n', xy)).toMatch(/the file looks '\|'-separated/)
  })

  it('missing values name the first row and column; dropMissing drops instead', async () => {
    const csv = 'Name,Horsepower,mpg\nx,130,18\ny,,15\nz,,\n'
    const opts = { x: ['Horsepower'], y: ['mpg'] }
    expect(await fail('cars.csv', csv, opts)).toBe(
      'cars.csv: row 2 (line 3), column "Horsepower": missing value (drop such rows with dropMissing / --drop-missing)',
    )
    const t = await read('cars.csv', csv, { ...opts, dropMissing: true })
    expect([t.n, t.dropped, t.droppedRows]).toEqual([1, 2, [2, 3]])
    expect(await fail('all.csv', 'a,b\n,1\n2,\n', { ...xy, dropMissing: true })).toBe(
      'all.csv: all 2 rows have a missing x or y value, no rows left',
    )
  })

  it('a bad value is an error even in a row that dropMissing drops', async () => {
    expect(await fail('x.csv', 'a,b\n,abc\n1,2\n', { ...xy, dropMissing: true })).toBe(
      'x.csv: row 1 (line 2), column "b": expected a number, got "abc"',
    )
  })

  it('a quote left open early in a large file ends with one error, not a quadratic re-parse', async () => {
    const rows = Array.from({ length: 200000 }, (_, i) => `${i},${i}`).join('\n')
    expect(await fail('open.csv', `a,b\n1,"2\n${rows}\n`, xy)).toBe(
      'open.csv: line 2: a quoted field is not closed before the end of the file',
    )
  })

  it('unterminated and malformed quotes, with the line', async () => {
    expect(await fail('q.csv', 'a,b\n1,2\n3,"4\n5,6\n', xy)).toBe(
      'q.csv: line 3: a quoted field is not closed before the end of the file',
    )
    expect(await fail('q.csv', 'a,b\n1,2\n3,"4"x\n5,6\n', xy)).toBe(
      'q.csv: line 3: a quoted field has text after its closing quote (write a quote inside quotes as "")',
    )
  })
})
