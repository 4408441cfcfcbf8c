import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { kFold, loadDataset } from '@dualfit/core'
import { describe, expect, it } from 'vitest'
import { dualfit, fixture, tempDir } from './cli.js'

const json = (s: string) => JSON.parse(s)
// vega-datasets exports only its index (build/); the data files sit beside that folder.
const CARS = join(dirname(createRequire(import.meta.url).resolve('vega-datasets')), '..', 'data', 'cars.json')

interface Result {
  backend: { id: string }
  data: { rows: number; dropped: number; testRows: number }
  selection: { scores: { mean: number }[]; selected: number }
  trials: {
    id: string
    stage: string
    testMse: number | null
    predictions: { x: number[]; y: number[] }[]
  }[]
}

const results = (stdout: string): Result[] => json(stdout).results
const cvScore = (r: Result) => r.selection.scores[r.selection.selected]?.mean as number
const refit = (r: Result) => r.trials.find((t) => t.stage === 'refit') as Result['trials'][number]

/** A data file in a scratch folder, named as the user would. */
function dataFile(name: string, content: string | Uint8Array): string {
  const cwd = tempDir()
  writeFileSync(join(cwd, name), content)
  return cwd
}

describe('compare --data: bad files get one line naming file, row and column, exit 2, nothing written', () => {
  const header = 'a,b,y\n'
  it.each([
    [
      'non-numeric cell',
      'd.csv',
      `${header}1,2,3\n4,five,6\n`,
      ['b'],
      /d\.csv: row 2 \(line 3\), column "b": expected a number, got "five"/,
    ],
    ['missing column', 'd.csv', `${header}1,2,3\n`, ['c'], /d\.csv: no column "c" \(columns: a, b, y\)/],
    ['empty file', 'd.csv', '', ['a'], /d\.csv: empty file/],
    ['header-only file', 'd.csv', header, ['a'], /d\.csv: no data rows after the header/],
    ['NaN cell', 'd.csv', `${header}1,2,3\nNaN,2,3\n`, ['a'], /d\.csv: row 2 \(line 3\), column "a": NaN/],
    [
      'Infinity cell',
      'd.csv',
      `${header}1,2,3\n1,-Infinity,3\n`,
      ['b'],
      /d\.csv: row 2 \(line 3\), column "b": .*Infinity/,
    ],
    [
      'float32 overflow',
      'd.csv',
      `${header}1,2,3\n1e39,2,3\n`,
      ['a'],
      /d\.csv: row 2 \(line 3\), column "a": .*overflows float32/,
    ],
    ['duplicate columns', 'd.csv', 'a,b,a,y\n1,2,3,4\n', ['b'], /d\.csv: .*duplicate column "a"/],
    [
      'ragged row',
      'd.csv',
      `${header}1,2,3\n1,2\n`,
      ['a'],
      /d\.csv: row 2 \(line 3\): expected 3 fields, got 2/,
    ],
    [
      'binary file',
      'd.csv',
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 1, 2, 3]),
      ['a'],
      /d\.csv: looks like a binary file/,
    ],
    [
      'semicolons read as commas',
      'd.csv',
      'a;b;y\n1;2;3\n4;5;6\n',
      ['a'],
      /d\.csv: no column "a" .*';'-separated/,
    ],
    [
      'missing value',
      'd.csv',
      `${header}1,2,3\n,5,6\n`,
      ['a'],
      /d\.csv: row 2 \(line 3\), column "a": missing value .*--drop-missing/,
    ],
    [
      'JSON string value',
      'd.json',
      '[{"a": 1, "y": 2}, {"a": "x", "y": 3}]',
      ['a'],
      /d\.json: record 2, column "a": expected a number, got "x"/,
    ],
  ])('%s', (_what, name, content, x, message) => {
    const cwd = dataFile(name, content)
    const r = dualfit(['compare', '--data', name, '--x', ...x, '--y', 'y', '--out', 'out'], cwd)
    expect(r.stderr).toMatch(message)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(existsSync(join(cwd, 'out'))).toBe(false)
  })

  it('fewer rows than CV folds, counted after dropping and holding out', () => {
    const cwd = dataFile('few.csv', 'a,y\n1,2\n2,\n3,6\n4,8\n5,10\n')
    const r = dualfit(
      ['compare', '--data', 'few.csv', '--x', 'a', '--y', 'y', '--drop-missing', '--out', 'out'],
      cwd,
    )
    expect(r.stderr).toContain(
      'cv.folds: expected at most 3 (the rows of few.csv after dropping 1 with missing values and holding out 1 for test), got 5',
    )
    expect(r.code).toBe(2)
    expect(existsSync(join(cwd, 'out'))).toBe(false)
  })

  it('--x without --data, and --data without columns', () => {
    expect(dualfit(['compare', '--x', 'a']).stderr).toContain('--x/--y: name the data file too, with --data')
    const r = dualfit(['compare', '--data', 'd.csv'])
    expect(r.stderr).toContain("--data 'd.csv': name the input column(s) with --x and the target(s) with --y")
    expect(r.code).toBe(2)
  })
})

describe('compare --data: files that simply work', () => {
  const rows = Array.from({ length: 40 }, (_, i) => [i / 4, (i % 7) - 3, 2 * (i / 4) - (i % 7) + 1])
  it.each([
    ['BOM and CRLF', 'bom.csv', `\uFEFFa,b,y\r\n${rows.map((r) => r.join(',')).join('\r\n')}\r\n`],
    [
      'quoted fields',
      'quoted.csv',
      `"a","b","y","note"\n${rows.map((r) => `"${r[0]}","${r[1]}",${r[2]},"x, ""quoted"""`).join('\n')}\n`,
    ],
    [
      'scientific notation',
      'sci.csv',
      `a,b,y\n${rows.map((r) => r.map((v) => v.toExponential()).join(',')).join('\n')}\n`,
    ],
    ['TSV', 'tab.tsv', `a\tb\ty\n${rows.map((r) => r.join('\t')).join('\n')}\n`],
    ['JSONL', 'rows.jsonl', rows.map(([a, b, y]) => JSON.stringify({ a, b, y })).join('\n')],
    [
      '--format-data for another extension',
      'export.txt',
      `a,b,y\n${rows.map((r) => r.join(',')).join('\n')}\n`,
    ],
  ])('%s', (_what, name, content) => {
    const cwd = dataFile(name, content)
    const format = name.endsWith('.txt') ? ['--format-data', 'csv'] : []
    const r = dualfit(
      [
        'compare',
        '--data',
        name,
        ...format,
        '--x',
        'a,b',
        '--y',
        'y',
        '--format',
        'json',
        '--set',
        'epochs=5',
      ],
      cwd,
    )
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    for (const res of results(r.stdout)) expect(res.data).toMatchObject({ rows: 40, dropped: 0, testRows: 8 })
  })
})

describe('train --data, --workers and datasets', () => {
  const csv = `x,y\n${Array.from({ length: 30 }, (_, i) => `${i},${3 * i + 7}`).join('\n')}\n`

  it('train --data fits the linear template, reports test MSE and saves a model in raw units', () => {
    const cwd = dataFile('line.csv', csv)
    const t = dualfit(
      ['train', '--data', 'line.csv', '--x', 'x', '--y', 'y', '--set', 'epochs=300', '--save', 'line.onnx'],
      cwd,
    )
    expect(t.stderr).toBe('')
    expect(t.stdout).toMatch(/test MSE on 6 held-out rows: /)
    const p = dualfit(['predict', '--model', 'line.onnx', '--x', '100', '--format', 'json'], cwd)
    expect(json(p.stdout).predictions[0].y[0]).toBeCloseTo(307, 0)
  })

  it('worker threads read the file too and give identical results', () => {
    const cwd = dataFile('line.csv', csv)
    const args = [
      'compare',
      '--data',
      'line.csv',
      '--x',
      'x',
      '--y',
      'y',
      '--set',
      'epochs=20',
      '--format',
      'json',
    ]
    const strip = (out: string) =>
      results(out).map((r) => r.trials.map(({ timings: _t, ...rest }: Record<string, unknown>) => rest))
    const one = dualfit([...args, '--workers', '1'], cwd)
    const two = dualfit([...args, '--workers', '2'], cwd)
    expect(two.stderr).toBe('')
    expect(strip(two.stdout)).toEqual(strip(one.stdout))
  })

  it('dualfit datasets lists the built-ins with rows and columns', () => {
    const r = dualfit(['datasets', '--format', 'json'])
    expect(json(r.stdout).map((d: { name: string; rows: number }) => `${d.name}:${d.rows}`)).toEqual([
      'meters-feet:7',
      'celsius-fahrenheit:7',
      'noisy-linear:200',
      'sin:256',
      'iris:150',
      'moons:200',
      'spirals:400',
    ])
    expect(dualfit(['datasets']).stdout).toContain('x -> sin_x')
  })
})

describe('sin: a 1-16-16-1 tanh network on both styles from the same initial weights', () => {
  it('reaches test MSE below 0.01 on both, within 10% of each other', () => {
    const r = dualfit(['compare', '--spec', fixture('sin-mlp.json'), '--format', 'json'])
    expect(r.stderr).toBe('')
    const [k, t] = results(r.stdout).map((x) => refit(x).testMse as number) as [number, number]
    expect(k).toBeLessThan(0.01)
    expect(t).toBeLessThan(0.01)
    expect(Math.abs(k - t) / Math.max(k, t)).toBeLessThan(0.1)
  })
})

/** Least squares y = b0 + b1 x on the training rows, its MSE on the test rows. */
function olsFoldMse(x: Float32Array, y: Float32Array, train: number[], test: number[]): number {
  const mx = train.reduce((s, i) => s + (x[i] as number), 0) / train.length
  const my = train.reduce((s, i) => s + (y[i] as number), 0) / train.length
  let sxy = 0
  let sxx = 0
  for (const i of train) {
    sxy += ((x[i] as number) - mx) * ((y[i] as number) - my)
    sxx += ((x[i] as number) - mx) ** 2
  }
  const b1 = sxy / sxx
  const b0 = my - b1 * mx
  return test.reduce((s, i) => s + (b0 + b1 * (x[i] as number) - (y[i] as number)) ** 2, 0) / test.length
}

describe('real data: cars, Horsepower -> Miles_per_Gallon, 5-fold CV, standardized', () => {
  const cars = { file: CARS, x: ['Horsepower'], y: ['Miles_per_Gallon'], dropMissing: true }
  const spec = (layers: object[], epochs: number) => ({
    name: `cars-${layers.length}`,
    dataset: cars,
    model: { layers },
    optimizer: { name: 'adam', lr: 0.01 },
    epochs,
    batchSize: 32,
    init: 'keras',
    standardize: { x: true, y: true },
    cv: { folds: 5 },
    refit: false,
  })

  it('linear: CV MSE within 2% of least squares on the same folds on both styles; 1-16-16-1 beats it', async () => {
    const cwd = tempDir()
    writeFileSync(join(cwd, 'linear.json'), JSON.stringify(spec([{ units: 1 }], 100)))
    const mlp = [{ units: 16, activation: 'tanh' }, { units: 16, activation: 'tanh' }, { units: 1 }]
    writeFileSync(join(cwd, 'mlp.json'), JSON.stringify(spec(mlp, 200)))
    const r = dualfit(['compare', '--spec', 'linear.json', '--spec', 'mlp.json', '--format', 'json'], cwd)
    expect(r.stderr).toBe('')
    const [kLin, tLin, kMlp, tMlp] = results(r.stdout) as [Result, Result, Result, Result]
    expect(kLin.data).toMatchObject({ rows: 392, dropped: 14 })

    const d = await loadDataset(cars)
    const folds = kFold(d.n, 5)
    const reference = folds.reduce((s, f) => s + olsFoldMse(d.x, d.y, f.train, f.test), 0) / folds.length
    for (const lin of [kLin, tLin]) expect(Math.abs(cvScore(lin) - reference) / reference).toBeLessThan(0.02)
    expect(cvScore(kMlp)).toBeLessThan(cvScore(kLin))
    expect(cvScore(tMlp)).toBeLessThan(cvScore(tLin))
  })
})

describe('your data end to end: compare --out, export each model, predict on raw inputs', () => {
  it('the exported ONNX models reproduce the predictions the results file holds', () => {
    const lines = ['size_m2,rooms,price_k']
    for (let i = 0; i < 60; i++) {
      const size = 40 + ((i * 37) % 160)
      const rooms = 1 + (i % 5)
      lines.push(`${size},${rooms},${(2.5 * size + 12 * rooms + 30 + ((i * 13) % 7) - 3).toFixed(2)}`)
    }
    const cwd = dataFile('houses.csv', `${lines.join('\n')}\n`)
    const inputs = [
      [120, 3],
      [55, 1],
    ]
    const c = dualfit(
      [
        'compare',
        '--data',
        'houses.csv',
        '--x',
        'size_m2,rooms',
        '--y',
        'price_k',
        '--set',
        `report.predict=${JSON.stringify(inputs)}`,
        '--out',
        'out',
        '--quiet',
      ],
      cwd,
    )
    expect(c.stderr).toBe('')
    expect(c.code).toBe(0)
    expect(c.stdout).toContain('test MSE')
    const saved = results(readFileSync(join(cwd, 'out', 'results.json'), 'utf8'))
    for (const res of saved) {
      const id = res.backend.id
      const e = dualfit(
        ['export', '--results', 'out/results.json', '--backend', id, '--out', `${id}.onnx`],
        cwd,
      )
      expect(e.code).toBe(0)
      const p = dualfit(
        [
          'predict',
          '--model',
          `${id}.onnx`,
          ...inputs.flatMap((row) => ['--x', row.join(',')]),
          '--format',
          'json',
        ],
        cwd,
      )
      expect(p.stderr).toBe('')
      const predicted = json(p.stdout).predictions.map((q: { y: number[] }) => q.y[0])
      const expected = refit(res).predictions.map((q) => q.y[0] as number)
      // Raw units in, raw units out: about 2.5 * 120 + 12 * 3 + 30 = 366 for the first house.
      expect(expected[0]).toBeGreaterThan(330)
      expect(expected[0]).toBeLessThan(400)
      for (const [i, v] of expected.entries()) expect(predicted[i]).toBeCloseTo(v, 2)
    }
  })
})
