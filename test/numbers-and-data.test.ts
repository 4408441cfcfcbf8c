/**
 * Numbers float32 would silently change, data rows JSON would silently merge, column names and
 * spec text that break charts, and the messages for datasets and --set that pointed elsewhere:
 * each is one line on stderr, exit 2, nothing written. Runs the built CLI (`pnpm build` first).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dualfit, fixture, type Run, tempDir } from './cli.js'

const mini = () => JSON.parse(readFileSync(fixture('mini.json'), 'utf8'))
const filesIn = (dir: string) => readdirSync(dir, { recursive: true }).map(String).sort()

/** A scratch folder holding these files. */
function folder(files: Record<string, string>): string {
  const cwd = tempDir()
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text)
  return cwd
}

/** One line on stderr that is `message` (or starts with it), exit 2, nothing on stdout or on disk. */
function expectRefused(r: Run, cwd: string, before: string[], message: string): void {
  expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining(`dualfit: ${message}`)])
  expect(r.stdout).toBe('')
  expect(r.code).toBe(2)
  expect(filesIn(cwd)).toEqual(before)
}

const compareData = (cwd: string, file: string, x = 'a', y = 'b') =>
  dualfit(['compare', '--data', file, '--x', x, '--y', y, '--out', 'out'], cwd)

const roundsTo = (v: string, to: string) =>
  `${v} is not zero but rounds to ${to} in float32 (the smallest normal float32 is 1.18e-38)`

/** Rows a,b with b = 3a, enough for the default experiment's split and 5-fold CV. */
const rows = (n: number, a = (i: number) => String(i + 1)) =>
  Array.from({ length: n }, (_, i) => `${a(i)},${(i + 1) * 3}`).join('\n')

describe('numbers that float32 turns into 0 or a subnormal', () => {
  it.each([
    ['optimizer.lr=1e-50', `optimizer.lr: ${roundsTo('1e-50', '0')}`],
    ['optimizer.beta1=1e-50', `optimizer.beta1: ${roundsTo('1e-50', '0')}`],
    ['optimizer.eps=1e-40', `optimizer.eps: ${roundsTo('1e-40', 'a subnormal')}`],
    ['earlyStopping.minDelta=1e-45', `earlyStopping.minDelta: ${roundsTo('1e-45', 'a subnormal')}`],
    ['report.predict=[1e-39]', `report.predict[0]: ${roundsTo('1e-39', 'a subnormal')}`],
    ['dataset={"inline":{"x":[1,1e-50,3],"y":[1,2,3]}}', `dataset.inline.x[1]: ${roundsTo('1e-50', '0')}`],
  ])('--set %s', (set, message) => {
    const cwd = folder({ 'spec.json': JSON.stringify(mini()) })
    const r = dualfit(['compare', '--spec', 'spec.json', '--set', set, '--out', 'out'], cwd)
    expectRefused(r, cwd, ['spec.json'], `spec.json: ${message}`)
  })

  it('in a grid, naming the grid point', () => {
    const cwd = folder({ 'spec.json': JSON.stringify({ ...mini(), grid: { 'optimizer.lr': [0.1, 1e-50] } }) })
    const r = dualfit(['compare', '--spec', 'spec.json', '--out', 'out'], cwd)
    expectRefused(
      r,
      cwd,
      ['spec.json'],
      `spec.json (grid point 1: optimizer.lr=1e-50): optimizer.lr: ${roundsTo('1e-50', '0')}`,
    )
  })

  it.each([
    ['d.csv', `a,b\n${rows(3)}\n1e-50,4\n`, `d.csv: row 4 (line 5), column "a": ${roundsTo('1e-50', '0')}`],
    [
      'd.json',
      JSON.stringify([
        { a: 1, b: 2 },
        { a: 2, b: 1e-40 },
      ]),
      `d.json: record 2, column "b": ${roundsTo('1e-40', 'a subnormal')}`,
    ],
    [
      'd.jsonl',
      '{"a":1,"b":2}\n{"a":2e-45,"b":1}\n',
      `d.jsonl: row 2 (line 2), column "a": ${roundsTo('2e-45', 'a subnormal')}`,
    ],
  ])('a data cell in %s names file, row and column', (name, text, message) => {
    const cwd = folder({ [name]: text })
    expectRefused(compareData(cwd, name), cwd, [name], message)
  })

  it('inputs scaled by 1e-40 are refused, not trained into weight ∞ and CV MSE ∞ with exit 0', () => {
    const cwd = folder({ 'tiny.csv': `a,b\n${rows(40, (i) => `${i + 1}e-40`)}\n` })
    const r = compareData(cwd, 'tiny.csv')
    expectRefused(
      r,
      cwd,
      ['tiny.csv'],
      `tiny.csv: row 1 (line 2), column "a": ${roundsTo('1e-40', 'a subnormal')}`,
    )
  })
})

describe('duplicate keys in a JSON row', () => {
  const twice =
    'key "meters" appears twice in one object (JSON would keep only the last); remove or rename one'
  it.each([
    [
      'd.json',
      '[{"meters":2,"feet":6.6},\n{"meters":1,"feet":3.3,"meters":999}]',
      `d.json: record 2: ${twice}`,
    ],
    [
      'd.jsonl',
      '{"meters":2,"feet":6.6}\n{"meters":1,"meters":999,"feet":3.3}\n',
      `d.jsonl: row 2 (line 2): ${twice}`,
    ],
  ])('%s', (name, text, message) => {
    const cwd = folder({ [name]: text })
    expectRefused(compareData(cwd, name, 'meters', 'feet'), cwd, [name], message)
  })
})

describe('a column named with a comma', () => {
  const csv = `"me,ters",feet\n${rows(30)}\n`

  it('is selected as me\\,ters, and recorded under its own name', () => {
    const cwd = folder({ 'm.csv': csv })
    const r = compareData(cwd, 'm.csv', 'me\\,ters', 'feet')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const out = JSON.parse(readFileSync(join(cwd, 'out', 'results.json'), 'utf8'))
    expect(out.results[0].data.columns).toEqual({ x: ['me,ters'], y: ['feet'] })
    expect(out.results[0].data.rows).toBe(30)
  })

  it('split on the comma, says how to write it', () => {
    const cwd = folder({ 'm.csv': csv })
    expectRefused(
      compareData(cwd, 'm.csv', 'me,ters', 'feet'),
      cwd,
      ['m.csv'],
      'm.csv: no column "me" (a column is named "me,ters": --x and --y split on commas, so write it me\\,ters)',
    )
  })
})

describe('a stray carriage return in a CSV row', () => {
  const mixed =
    'a carriage return (\\r) inside a field; the file mixes line endings (save it with one kind throughout)'
  it.each([
    ['joining two rows', `a,b\n${rows(3)}\n4,12\r5,15\n6,18\n`, `d.csv: row 4 (line 5): ${mixed}`],
    ['after a quoted field', `a,b\n${rows(3)}\n4,"12"\r5,15\n`, `d.csv: line 5: ${mixed}`],
  ])('%s is named as such, not as a field count or a quoting problem', (_, text, message) => {
    const cwd = folder({ 'd.csv': text })
    expectRefused(compareData(cwd, 'd.csv'), cwd, ['d.csv'], message)
  })
})

describe('misleading messages for a dataset and for --set', () => {
  it.each([
    [
      '{"builtin":"meters-feet","file":"d.csv"}',
      "dataset: expected exactly one of 'builtin', 'inline' or 'file' (keep the one you mean), got 'builtin' and 'file'",
    ],
    ['{"file":"d.csv","x":3,"y":"b"}', 'dataset.x: expected a column name or a list of column names, got 3'],
    ['{"file":"d.csv","x":[],"y":"b"}', 'dataset.x: expected at least 1 item(s), got an empty list'],
  ])('dataset=%s', (dataset, message) => {
    const cwd = folder({ 'spec.json': JSON.stringify({ ...mini(), dataset: JSON.parse(dataset) }) })
    const r = dualfit(['compare', '--spec', 'spec.json', '--out', 'out'], cwd)
    expectRefused(r, cwd, ['spec.json'], `spec.json: ${message}`)
  })

  it('--set loss.delta=2 on "loss": "mse" says to set loss whole', () => {
    const cwd = folder({ 'spec.json': JSON.stringify(mini()) })
    const r = dualfit(['compare', '--spec', 'spec.json', '--set', 'loss.delta=2', '--out', 'out'], cwd)
    expectRefused(
      r,
      cwd,
      ['spec.json'],
      `--set 'loss.delta=2': "loss.delta": 'loss' is "mse", a name without fields; set it whole instead: loss={"name":"mse","delta":2}`,
    )
  })
})

describe('control characters that would break every chart', () => {
  it.each([
    ['ESC and BEL', 'seed\u001b[31m\u0007', 'U+001B at character 5 of "seed\\u001b[31m\\u0007"'],
    ['a C1 control', 'seed\u009b2J', 'U+009B at character 5 of "seed\\u009b2J"'],
  ])('%s in the spec name', (_, name, got) => {
    const cwd = folder({ 'spec.json': JSON.stringify({ ...mini(), name }) })
    const r = dualfit(['compare', '--spec', 'spec.json', '--out', 'out'], cwd)
    expectRefused(
      r,
      cwd,
      ['spec.json'],
      `spec.json: name: expected text without control characters, got ${got}`,
    )
  })

  it('in a data header', () => {
    const cwd = folder({ 'd.csv': `a,"b\u0007"\n${rows(3)}\n` })
    expectRefused(
      compareData(cwd, 'd.csv'),
      cwd,
      ['d.csv'],
      'd.csv: line 1, column 2 of the header: the column name "b\\u0007" holds a control character (U+0007); rename the column',
    )
  })
})
