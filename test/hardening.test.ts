/**
 * "Nothing lost, nothing injected", end to end: every bad input gets one line naming what is wrong,
 * exit code 2, and no output file (nor temp file) appears; user text never reaches the terminal
 * raw. Runs the built CLI (`npx turbo run build --filter=dualfit...` first).
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dualfit, fixture, type Run, tempDir } from './cli.js'

const mini = () => JSON.parse(readFileSync(fixture('mini.json'), 'utf8'))

/** Files under `dir`, recursively, relative to it. */
const filesIn = (dir: string) => readdirSync(dir, { recursive: true }).map(String).sort()

/** One line on stderr containing `message`, exit 2, nothing on stdout. */
function expectRefused(r: Run, message: string): void {
  expect(r.stderr).toContain(message)
  expect(r.stderr.trim().split('\n')).toHaveLength(1)
  expect(r.stderr).not.toContain('internal error')
  expect(r.stdout).toBe('')
  expect(r.code).toBe(2)
}

/** A results file as `dualfit compare` writes it, made by hand: one experiment, one refit trial. */
function results(o: { schemaVersion?: unknown; weights?: unknown; diverged?: boolean } = {}) {
  return {
    schemaVersion: o.schemaVersion ?? 2,
    kind: 'dualfit.compare',
    results: [
      {
        schemaVersion: o.schemaVersion ?? 2,
        kind: 'dualfit.experiment',
        spec: { ...mini(), model: { layers: [{ units: 1, activation: 'linear' }] } },
        backend: {
          id: 'keras-style',
          version: '0',
          engine: { id: 'cpu', device: 'cpu', available: true, detail: '' },
        },
        trials: [
          {
            id: 'refit/p1/s0',
            stage: 'refit',
            diverged: o.diverged ?? false,
            weights: 'weights' in o ? o.weights : [{ inputs: 1, units: 1, kernel: [3.28], bias: [0.01] }],
          },
        ],
      },
    ],
    summaries: [],
  }
}

/** A scratch folder holding `name` with this JSON. */
function withJson(name: string, value: unknown, cwd = tempDir()): string {
  writeFileSync(join(cwd, name), typeof value === 'string' ? value : JSON.stringify(value))
  return cwd
}

describe('prototype keys are never set', () => {
  it.each([
    [
      ['--set', '__proto__.polluted=1'],
      "--set '__proto__.polluted=1': '__proto__' is not a spec field (expected one of name,",
    ],
    [
      ['--set', 'constructor.prototype.x=1'],
      "--set 'constructor.prototype.x=1': 'constructor' is not a spec field",
    ],
    [
      ['--set', 'optimizer.__proto__.x=1'],
      "--set 'optimizer.__proto__.x=1': 'optimizer' has no field '__proto__'",
    ],
    [['--set', 'grid={"__proto__.x":[1]}'], `grid."__proto__.x": '__proto__' is not a spec field`],
    [['--set', 'grid={"__proto__":[1]}'], "grid.__proto__: '__proto__' is not allowed as a field name"],
  ])('compare %j: one line, exit 2, nothing written', (args, message) => {
    const cwd = tempDir()
    const r = dualfit(['compare', '--spec', fixture('mini.json'), ...args, '--out', 'out'], cwd)
    expectRefused(r, message)
    expect(filesIn(cwd)).toEqual([])
  })

  it.each([
    ['"grid": {"__proto__": [0.1]}', "spec.json: grid.__proto__: '__proto__' is not allowed as a field name"],
    [
      '"grid": {"__proto__.polluted": [1]}',
      `spec.json: grid."__proto__.polluted": '__proto__' is not a spec field`,
    ],
    [
      '"grid": {"constructor.prototype.x": [1]}',
      `spec.json: grid."constructor.prototype.x": 'constructor' is not a spec field`,
    ],
    ['"__proto__": {"polluted": 1}', "spec.json: __proto__: '__proto__' is not allowed as a field name"],
  ])('a spec file with %s', (extra, message) => {
    const text = JSON.stringify({ ...mini(), grid: undefined }).replace(/^\{/, `{${extra},`)
    const cwd = withJson('spec.json', text)
    const r = dualfit(['compare', '--spec', 'spec.json', '--out', 'out'], cwd)
    expectRefused(r, message)
    expect(filesIn(cwd)).toEqual(['spec.json'])
  })
})

describe('numeric options are parsed strictly', () => {
  it.each([
    [['compare', '--seeds', '0x10', '--out', 'out'], "--seeds: expected a positive integer, got '0x10'"],
    [['compare', '--seeds', '', '--out', 'out'], "--seeds: expected a positive integer, got ''"],
    [['compare', '--seeds', '2.5', '--out', 'out'], "--seeds: expected a positive integer, got '2.5'"],
    [['compare', '--workers', '0x10', '--out', 'out'], "--workers: expected a positive integer, got '0x10'"],
    [['compare', '--workers', ' ', '--out', 'out'], "--workers: expected a positive integer, got ' '"],
    [
      ['train', '--spec', fixture('mini.json'), '--seed', '0x10'],
      "--seed: expected an integer >= 0, got '0x10'",
    ],
    [['train', '--spec', fixture('mini.json'), '--seed', ''], "--seed: expected an integer >= 0, got ''"],
    [
      ['train', '--spec', fixture('mini.json'), '--seed', 'Infinity'],
      "--seed: expected an integer >= 0, got 'Infinity'",
    ],
  ])('%j', (args, message) => {
    const cwd = tempDir()
    expectRefused(dualfit(args, cwd), message)
    expect(filesIn(cwd)).toEqual([])
  })

  it('takes an integer written in scientific notation (--seed 1e1 is seed 10)', () => {
    const r = dualfit([
      'train',
      '--spec',
      fixture('mini.json'),
      '--set',
      'epochs=2',
      '--seed',
      '1e1',
      '--format',
      'json',
    ])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).trials[0].seed).toBe(10)
  })
})

describe('dualfit predict', () => {
  /** A folder with m.onnx, exported from a hand-made results file with this kernel. */
  function model(kernel = 3.28): string {
    const cwd = withJson(
      'r.json',
      results({ weights: [{ inputs: 1, units: 1, kernel: [kernel], bias: [0] }] }),
    )
    expect(dualfit(['export', '--results', 'r.json', '--out', 'm.onnx'], cwd).code).toBe(0)
    return cwd
  }

  it('refuses inputs that are not plain decimal numbers within float32', () => {
    const cwd = model()
    for (const [x, message] of [
      ['1e39', "--x #1 '1e39': 1e39 overflows float32 (max 3.4e38)"],
      [',1', "--x #1 ',1': value 1 empty, expected 1 comma-separated number(s)"],
      ['0x10', "--x #1 '0x10': expected a decimal number such as 1.5 or -2e3, got '0x10'"],
      [' ', "--x #1 ' ': empty, expected 1 comma-separated number(s)"],
      ['NaN', "--x #1 'NaN': expected a decimal number such as 1.5 or -2e3, got 'NaN'"],
    ] as const) {
      expectRefused(dualfit(['predict', '--model', 'm.onnx', '--x', x], cwd), message)
    }
    const ok = dualfit(['predict', '--model', 'm.onnx', '--x', ' 100 ', '--format', 'json'], cwd)
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout).predictions[0].y[0]).toBeCloseTo(328, 3)
  })

  it('refuses a prediction that is not finite, naming the row, instead of printing Infinity', () => {
    const cwd = model(3e38)
    const r = dualfit(['predict', '--model', 'm.onnx', '--x', '0', '--x', '100'], cwd)
    expectRefused(r, "--x #2 '100': the prediction is Infinity, not a finite number (model 'm.onnx'")
  })
})

describe('numbers past float32 in data are refused', () => {
  it.each([
    [
      { dataset: { inline: { x: [1, 1e308], y: [1, 2] } } },
      "spec.json: dataset.inline.x[1]: expected a number within float32's range (±3.4e38), got 1e+308",
    ],
    [
      { report: { predict: [1e308] } },
      "spec.json: report.predict[0]: expected a number within float32's range (±3.4e38), got 1e+308",
    ],
    [
      { grid: { 'optimizer.lr': [0.1, 1e308] } },
      "spec.json (grid point 1: optimizer.lr=1e+308): optimizer.lr: expected a number within float32's range",
    ],
  ])('%j', (extra, message) => {
    const cwd = withJson('spec.json', { ...mini(), cv: null, ...extra })
    expectRefused(dualfit(['compare', '--spec', 'spec.json', '--out', 'out'], cwd), message)
    expect(filesIn(cwd)).toEqual(['spec.json'])
  })

  it('in a data file', () => {
    const cwd = withJson('d.csv', 'a,b\n1,2\n1e308,3\n')
    expectRefused(
      dualfit(['compare', '--data', 'd.csv', '--x', 'a', '--y', 'b', '--out', 'out'], cwd),
      'd.csv: row 2 (line 3), column "a": 1e308 overflows float32 (max 3.4e38)',
    )
  })
})

describe('dualfit export: one line, exit 2, no file, for any bad input', () => {
  it.each([
    [
      'an unknown schemaVersion',
      results({ schemaVersion: 99 }),
      "results file 'r.json': schemaVersion: 99 is not supported (this dualfit reads version 2)",
    ],
    [
      'null weights',
      results({ weights: null }),
      "results file 'r.json': results[0].trials[0].weights: expected an array, got null",
    ],
    [
      'a weight that is not a number',
      results({ weights: [{ inputs: 1, units: 1, kernel: ['x'], bias: [0] }] }),
      `results file 'r.json': results[0].trials[0].weights[0].kernel[0]: expected a number (or "NaN", "Infinity", "-Infinity"), got "x"`,
    ],
    [
      'weights of the wrong shape',
      results({ weights: [{ inputs: 2, units: 1, kernel: [1], bias: [0] }] }),
      "results file 'r.json': results[0].trials[0].weights[0]: expected a [2, 1] kernel (2 values) and 1 bias value(s), got [2, 1] (1 values) and 1",
    ],
    ['not a results file', { kind: 'something' }, "results file 'r.json': not a dualfit results file"],
    ['broken JSON', '{"kind": ', "results file 'r.json': not valid JSON"],
  ])('%s', (_what, doc, message) => {
    const cwd = withJson('r.json', doc)
    expectRefused(dualfit(['export', '--results', 'r.json', '--out', 'm.onnx'], cwd), message)
    expectRefused(dualfit(['export', '--results', 'r.json', '--to', 'tfjs', '--out', 'tf'], cwd), message)
    expect(filesIn(cwd)).toEqual(['r.json'])
  })

  it('refuses an --out that cannot be written, before reading anything', () => {
    const cwd = withJson('r.json', results())
    writeFileSync(join(cwd, 'file'), 'x')
    mkdirSync(join(cwd, 'dir'))
    for (const [args, message] of [
      [['--to', 'tfjs', '--out', 'file'], "--out 'file': exists and is not a folder"],
      [['--out', 'dir'], "--out 'dir': is a folder, expected a file name"],
      [['--out', 'file/m.onnx'], `--out 'file/m.onnx': '${join(cwd, 'file')}' is a file, not a folder`],
      [
        ['--out', 'file/deeper/m.onnx'],
        `--out 'file/deeper/m.onnx': '${join(cwd, 'file')}' is a file, not a folder`,
      ],
      [
        ['--to', 'tfjs', '--out', 'file/tf'],
        `--out 'file/tf': '${join(cwd, 'file')}' is a file, not a folder`,
      ],
    ] as const) {
      expectRefused(dualfit(['export', '--results', 'r.json', ...args], cwd), message)
    }
    expect(filesIn(cwd)).toEqual(['dir', 'file', 'r.json'])
    expect(readFileSync(join(cwd, 'file'), 'utf8')).toBe('x')
  })

  it('does not overwrite a model without --force, and replaces it atomically with it', () => {
    const cwd = withJson('r.json', results())
    writeFileSync(join(cwd, 'm.onnx'), 'old')
    expectRefused(
      dualfit(['export', '--results', 'r.json', '--out', 'm.onnx'], cwd),
      "--out 'm.onnx': a file is already there; pass --force to overwrite it",
    )
    expect(readFileSync(join(cwd, 'm.onnx'), 'utf8')).toBe('old')
    const forced = dualfit(['export', '--results', 'r.json', '--out', 'm.onnx', '--force'], cwd)
    expect(forced.code).toBe(0)
    expect(statSync(join(cwd, 'm.onnx')).size).toBeGreaterThan(3)
    expect(filesIn(cwd)).toEqual(['m.onnx', 'r.json'])
  })

  it('does not overwrite a TF.js model in a folder without --force', () => {
    const cwd = withJson('r.json', results())
    mkdirSync(join(cwd, 'tf'))
    writeFileSync(join(cwd, 'tf', 'model.json'), 'old')
    writeFileSync(join(cwd, 'tf', 'notes.txt'), 'mine')
    expectRefused(
      dualfit(['export', '--results', 'r.json', '--to', 'tfjs', '--out', 'tf'], cwd),
      `--out 'tf': '${join('tf', 'model.json')}' already there; pass --force to overwrite`,
    )
    expect(filesIn(join(cwd, 'tf'))).toEqual(['model.json', 'notes.txt'])
    const forced = dualfit(['export', '--results', 'r.json', '--to', 'tfjs', '--out', 'tf', '--force'], cwd)
    expect(forced.code).toBe(0)
    expect(filesIn(join(cwd, 'tf'))).toEqual(['model.json', 'notes.txt', 'weights.bin'])
    expect(JSON.parse(readFileSync(join(cwd, 'tf', 'model.json'), 'utf8')).weightsManifest).toBeDefined()
  })

  it('refuses a diverged trial (NaN or Infinity weights) unless --force, naming it', () => {
    const cwd = withJson(
      'r.json',
      results({ diverged: true, weights: [{ inputs: 1, units: 1, kernel: ['NaN'], bias: ['Infinity'] }] }),
    )
    expectRefused(
      dualfit(['export', '--results', 'r.json', '--out', 'm.onnx'], cwd),
      "results file 'r.json': mini/keras-style trial refit/p1/s0 diverged: its weights hold NaN or Infinity; pick another with --trial, or pass --force to export them anyway",
    )
    expect(filesIn(cwd)).toEqual(['r.json'])
    expect(dualfit(['export', '--results', 'r.json', '--out', 'm.onnx', '--force'], cwd).code).toBe(0)
    expect(filesIn(cwd)).toEqual(['m.onnx', 'r.json'])
  })

  it('lists --force in its help', () => {
    const r = dualfit(['export', '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('--force')
  })

  it('leaves no temp file when it succeeds', () => {
    const cwd = withJson('r.json', results())
    expect(dualfit(['export', '--results', 'r.json', '--out', 'sub/m.onnx'], cwd).code).toBe(0)
    expect(filesIn(cwd)).toEqual(['r.json', 'sub', join('sub', 'm.onnx')])
  })
})

describe('user strings never reach the terminal raw', () => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: what must never be printed
  const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/
  const hostile = {
    ...mini(),
    name: '=evil\u001b[31mRED\u001b[0m\nsecond line\u0007',
    epochs: 2,
    cv: null,
    grid: {},
    earlyStopping: null,
  }

  it('a spec name with control characters is refused in one line that prints none of them', () => {
    const cwd = withJson('spec.json', hostile)
    const r = dualfit(['compare', '--spec', 'spec.json', '--layout', 'wide'], cwd)
    expectRefused(r, 'name: expected text without control characters, got U+001B')
    expect(r.stderr).not.toMatch(CONTROL)
    const bad = withJson('bad.json', { ...hostile, name: 'ok', 'x\u001b[2Jy': 1 })
    const e = dualfit(['compare', '--spec', 'bad.json'], bad)
    expectRefused(e, "bad.json: unknown field(s) 'x\\u001b[2Jy'")
    expect(e.stderr).not.toMatch(CONTROL)
  })

  it('in CSV: a text cell that a spreadsheet would run is neutralised, numbers stay numbers', () => {
    const formula = { ...hostile, name: '=evil, "quoted"', report: { predict: [-100] } }
    const cwd = withJson('spec.json', formula)
    const r = dualfit(['compare', '--spec', 'spec.json', '--format', 'csv'], cwd)
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split('\n')
    // A header, then one row per backend.
    expect(lines).toHaveLength(3)
    expect(lines[1]?.startsWith(`"'=evil, ""quoted""",`)).toBe(true)
    expect(lines[1]).toContain(',-100,')
  })
})
