import { describe, expect, it } from 'vitest'
import { isUserError, parseSpec, prepareExperiment, setPath } from '../src/index.js'
import { minimal } from './fixtures.js'

/** Every problem parseSpec finds in the minimal spec with `extra` over it. */
function problems(extra: Record<string, unknown>): string[] {
  try {
    parseSpec({ ...minimal, ...extra }, 'spec.json')
  } catch (e) {
    if (isUserError(e)) return e.problems
    throw e
  }
  return []
}

const roundsTo = (v: string, to: string) =>
  `${v} is not zero but rounds to ${to} in float32 (the smallest normal float32 is 1.18e-38)`

describe('numbers float32 turns into 0 or a subnormal', () => {
  it.each([
    [{ optimizer: { lr: 1e-50 } }, `optimizer.lr: ${roundsTo('1e-50', '0')}`],
    [{ optimizer: { lr: 0.1, beta1: 1e-50 } }, `optimizer.beta1: ${roundsTo('1e-50', '0')}`],
    [{ optimizer: { lr: 0.1, beta2: 1e-46 } }, `optimizer.beta2: ${roundsTo('1e-46', '0')}`],
    [{ optimizer: { lr: 0.1, eps: 1e-40 } }, `optimizer.eps: ${roundsTo('1e-40', 'a subnormal')}`],
    [
      { optimizer: { name: 'sgd', lr: 0.1, momentum: 1e-39 } },
      `optimizer.momentum: ${roundsTo('1e-39', 'a subnormal')}`,
    ],
    [{ loss: { name: 'huber', delta: 1e-50 } }, `loss.delta: ${roundsTo('1e-50', '0')}`],
    [
      { earlyStopping: { patience: 1, minDelta: 1e-45 } },
      `earlyStopping.minDelta: ${roundsTo('1e-45', 'a subnormal')}`,
    ],
    [
      { earlyStopping: { patience: 1, baseline: -1e-50 } },
      `earlyStopping.baseline: ${roundsTo('-1e-50', '0')}`,
    ],
    [{ dataset: { inline: { x: [1, 1e-50], y: [1, 2] } } }, `dataset.inline.x[1]: ${roundsTo('1e-50', '0')}`],
    [
      { dataset: { inline: { x: [1, 2], y: [[1], [2e-40]] } } },
      `dataset.inline.y[1][0]: ${roundsTo('2e-40', 'a subnormal')}`,
    ],
    [{ report: { predict: [1e-39] } }, `report.predict[0]: ${roundsTo('1e-39', 'a subnormal')}`],
    [{ report: { tolerance: 1e-50 } }, `report.tolerance: ${roundsTo('1e-50', '0')}`],
  ])('%j: one line naming the field', (extra, message) => {
    expect(problems(extra)).toEqual([`spec.json: ${message}`])
  })

  it('a negative tiny learning rate is only "expected > 0", not that and a float32 line', () => {
    expect(problems({ optimizer: { lr: -1e-50 } })).toEqual([
      'spec.json: optimizer.lr: expected a number > 0, got -1e-50',
    ])
  })

  it('keeps zero and the smallest normal float32', () => {
    const s = parseSpec({ ...minimal, optimizer: { lr: 1.2e-38, beta1: 0, momentum: 0 } })
    expect(s.optimizer.lr).toBe(1.2e-38)
    expect(s.optimizer.beta1).toBe(0)
  })

  it('a grid value, per grid point', async () => {
    const raw = { ...minimal, grid: { 'optimizer.lr': [0.1, 1e-50] } }
    await expect(prepareExperiment(raw, 'spec.json')).rejects.toThrow(
      `spec.json (grid point 1: optimizer.lr=1e-50): optimizer.lr: ${roundsTo('1e-50', '0')}`,
    )
  })
})

describe('a dataset that is not one kind', () => {
  const file = { file: 'd.csv', x: 'a', y: 'b' }
  it.each([
    [
      { builtin: 'meters-feet', file: 'd.csv' },
      "dataset: expected exactly one of 'builtin', 'inline' or 'file' (keep the one you mean), got 'builtin' and 'file'",
    ],
    [
      { ...file, builtin: 'sin', inline: { x: [1, 2], y: [1, 2] } },
      "dataset: expected exactly one of 'builtin', 'inline' or 'file' (keep the one you mean), got 'builtin', 'inline' and 'file'",
    ],
    [
      { x: 'a', y: 'b' },
      "dataset: expected exactly one of 'builtin', 'inline' or 'file' (keep the one you mean), got none of them",
    ],
    [{ ...file, x: 3 }, 'dataset.x: expected a column name or a list of column names, got 3'],
    [{ ...file, y: { a: 1 } }, 'dataset.y: expected a column name or a list of column names, got an object'],
    [{ ...file, x: [] }, 'dataset.x: expected at least 1 item(s), got an empty list'],
    [{ ...file, x: [''] }, 'dataset.x[0]: expected a non-empty string, got ""'],
    [{ file: 'd.csv', x: 'a' }, 'dataset.y: expected a column name or a list of column names, got nothing'],
    [{ builtin: 'sin', rows: 1 }, 'dataset.rows: expected a number >= 2, got 1'],
    [{ builtin: 'sin', x: 'a' }, "dataset: unknown field(s) 'x'"],
    [{ inline: { x: [1], y: [1, 2] } }, 'dataset.inline.x: expected at least 2 item(s), got 1 item(s)'],
  ])('%j', (dataset, message) => {
    expect(problems({ dataset })).toEqual([`spec.json: ${message}`])
  })
})

describe('a field set inside a value that is a name', () => {
  it('loss.delta on "loss": "mse" says to set loss whole, with the name kept', () => {
    expect(() => setPath({ ...minimal, loss: 'mse' }, 'loss.delta', 2)).toThrow(
      `"loss.delta": 'loss' is "mse", a name without fields; set it whole instead: loss={"name":"mse","delta":2}`,
    )
  })

  it('an object loss takes the field', () => {
    const s = setPath({ ...minimal, loss: { name: 'huber' } }, 'loss.delta', 2)
    expect(parseSpec(s).loss).toEqual({ name: 'huber', delta: 2 })
  })
})

describe('control characters in text that reaches charts and tables', () => {
  const refused = (code: string, at: number, got: string) =>
    `expected text without control characters, got ${code} at character ${at} of ${got}`
  it.each([
    [{ name: 'a\u001b[31mb\u0007' }, `name: ${refused('U+001B', 2, '"a\\u001b[31mb\\u0007"')}`],
    [{ name: 'bell\u0007' }, `name: ${refused('U+0007', 5, '"bell\\u0007"')}`],
    [{ name: 'two\nlines' }, `name: ${refused('U+000A', 4, '"two\\nlines"')}`],
    [{ name: 'c1\u009b2J' }, `name: ${refused('U+009B', 3, '"c1\\u009b2J"')}`],
    [{ description: 'x\u001by' }, `description: ${refused('U+001B', 2, '"x\\u001by"')}`],
    [
      { dataset: { file: 'd\u0007.csv', x: 'a', y: 'b' } },
      `dataset.file: ${refused('U+0007', 2, '"d\\u0007.csv"')}`,
    ],
    [
      { dataset: { file: 'd.csv', x: 'a\u001b', y: 'b' } },
      `dataset.x: ${refused('U+001B', 2, '"a\\u001b"')}`,
    ],
    [
      { dataset: { file: 'd.csv', x: ['a', 'b\u0000'], y: 'c' } },
      `dataset.x[1]: ${refused('U+0000', 2, '"b\\u0000"')}`,
    ],
  ])('%j', (extra, message) => {
    expect(problems(extra)).toEqual([`spec.json: ${message}`])
  })

  it('a description keeps its line breaks and tabs', () => {
    expect(parseSpec({ ...minimal, description: 'one\n\ttwo\r\n' }).description).toBe('one\n\ttwo\r\n')
  })
})
