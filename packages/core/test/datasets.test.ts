import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { builtinDataset, builtinDatasets, listBuiltinDatasets, loadDataset, subset } from '../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'dualfit-core-data-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('built-in datasets', () => {
  it("meters-feet is the seed's 7 points with the exact factor", () => {
    const d = builtinDataset('meters-feet')
    expect(d.n).toBe(7)
    expect(Array.from(d.x)).toEqual([1, 8, 4, 5, 12, 10, 17])
    expect(d.exact?.([100])[0]).toBeCloseTo(328.084, 9)
    expect(d.columns).toEqual({ x: ['meters'], y: ['feet'] })
    for (let i = 0; i < d.n; i++) expect(d.y[i]).toBeCloseTo((d.x[i] as number) * 3.28084, 4)
  })

  it('celsius-fahrenheit has a bias', () => {
    const d = builtinDataset('celsius-fahrenheit')
    expect(d.exact?.([0])[0]).toBe(32)
    expect(d.exact?.([100])[0]).toBe(212)
  })

  it('noisy-linear is seeded: the same rows for the same seed, other rows for another', () => {
    const a = builtinDataset('noisy-linear')
    expect(a.n).toBe(200)
    expect(Array.from(builtinDataset('noisy-linear').y)).toEqual(Array.from(a.y))
    expect(Array.from(builtinDataset('noisy-linear', 200, 1).y)).not.toEqual(Array.from(a.y))
    // Noise N(0, 1) around y = 2x + 1.
    const resid = Array.from(a.y, (y, i) => y - (2 * (a.x[i] as number) + 1))
    const sd = Math.sqrt(resid.reduce((s, r) => s + r * r, 0) / resid.length)
    expect(sd).toBeGreaterThan(0.8)
    expect(sd).toBeLessThan(1.2)
    expect(a.exact?.([3])[0]).toBe(7)
  })

  it('sin covers [-pi, pi] with y = sin(x) exactly (float32)', () => {
    const d = builtinDataset('sin', 1000)
    expect(d.n).toBe(1000)
    expect(Math.min(...d.x)).toBeLessThan(-3)
    expect(Math.max(...d.x)).toBeGreaterThan(3)
    for (let i = 0; i < d.n; i++) expect(d.y[i]).toBeCloseTo(Math.sin(d.x[i] as number), 6)
  })

  it('lists every built-in with rows and columns; refuses unknown names and resizing fixed tables', () => {
    expect(listBuiltinDatasets().map((d) => [d.name, d.rows, d.task])).toEqual([
      ['meters-feet', 7, 'regression'],
      ['celsius-fahrenheit', 7, 'regression'],
      ['noisy-linear', 200, 'regression'],
      ['sin', 256, 'regression'],
      ['iris', 150, 'classification'],
      ['moons', 200, 'classification'],
      ['spirals', 400, 'classification'],
    ])
    expect(builtinDatasets).toContain('sin')
    expect(() => builtinDataset('nope')).toThrow(/dataset.builtin: expected one of meters-feet/)
    expect(() => builtinDataset('meters-feet', 10)).toThrow(
      "dataset.rows: 'meters-feet' has a fixed 7 rows, got 10",
    )
  })
})

describe('inline and file datasets', () => {
  it('inline data: rows, widths and errors naming the row', async () => {
    const d = await loadDataset({
      inline: {
        x: [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        y: [1, 2, 3],
      },
    })
    expect([d.n, d.inputs, d.outputs]).toEqual([3, 2, 1])
    expect(Array.from(subset(d, [2, 0]).x)).toEqual([5, 6, 1, 2])
    await expect(loadDataset({ inline: { x: [[1, 2], [3]], y: [1, 2] } })).rejects.toThrow(
      'dataset.inline.x[1]: expected 2 value(s) like row 0, got 1',
    )
    await expect(loadDataset({ inline: { x: [1, 2, 3], y: [1, 2] } })).rejects.toThrow(
      'dataset.inline.y: expected 3 rows like x, got 2',
    )
    await expect(loadDataset({ inline: { x: [1, 1e39], y: [1, 2] } })).rejects.toThrow(
      'dataset.inline.x[1][0]: 1e+39 overflows float32',
    )
  })

  it('reads a file relative to the base folder, columns in the order asked', async () => {
    writeFileSync(join(dir, 'two.csv'), 'a,b,target\n1,10,5\n2,20,6\n3,30,7\n')
    const d = await loadDataset({ file: 'two.csv', x: ['b', 'a'], y: ['target'], dropMissing: false }, dir)
    expect(d.columns).toEqual({ x: ['b', 'a'], y: ['target'] })
    expect(Array.from(d.x)).toEqual([10, 1, 20, 2, 30, 3])
    expect(Array.from(d.y)).toEqual([5, 6, 7])
    expect(d.description).toBe('b, a -> target from two.csv (3 rows)')
  })

  it("turns the reader's errors into user errors naming the file; asks for a format it cannot guess", async () => {
    writeFileSync(join(dir, 'bad.csv'), 'a,b\n1,x\n')
    const e = await loadDataset({ file: 'bad.csv', x: ['a'], y: ['b'], dropMissing: false }, dir).catch(
      (x) => x,
    )
    expect(e.name).toBe('UserError')
    expect(e.message).toMatch(/^bad\.csv: row 1 .*column "b".*expected a number/)
    await expect(
      loadDataset({ file: 'data.txt', x: ['a'], y: ['b'], dropMissing: false }, dir),
    ).rejects.toThrow("dataset.file 'data.txt': cannot tell the format from its extension")
  })
})
