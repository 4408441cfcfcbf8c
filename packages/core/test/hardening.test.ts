/** "Nothing lost, nothing injected": spec paths, prototype keys, float32 ranges, the results reader. */
import { afterEach, describe, expect, it } from 'vitest'
import {
  isUserError,
  parseResults,
  parseSpec,
  prepareExperiment,
  setPath,
  specPathProblem,
  UserError,
} from '../src/index.js'
import { minimal } from './fixtures.js'

const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort()

/** Object.prototype as it was: no new key, and a fresh object inherits nothing odd. */
function expectUnpolluted(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTO_NAMES)
  const o = {} as Record<string, unknown>
  for (const k of ['polluted', 'x', 'lr', 'isAdmin']) expect(o[k]).toBeUndefined()
  expect(Object.getPrototypeOf(o)).toBe(Object.prototype)
}

/** The problems of a UserError thrown by `f`; fails on any other outcome. */
function problemsOf(f: () => unknown): string[] {
  try {
    f()
  } catch (e) {
    if (isUserError(e)) return e.problems
    throw e
  }
  throw new Error('expected a UserError, nothing was thrown')
}

afterEach(expectUnpolluted)

describe('setPath checks the path against the spec schema', () => {
  it.each([
    ['__proto__.polluted', "'__proto__' is not a spec field (expected one of name, description, dataset,"],
    ['constructor.prototype.x', "'constructor' is not a spec field"],
    ['prototype', "'prototype' is not a spec field"],
    ['toString', "'toString' is not a spec field"],
    ['optimizer.__proto__.x', "'optimizer' has no field '__proto__' (expected one of name, lr, beta1, beta2"],
    ['optimizer.constructor', "'optimizer' has no field 'constructor'"],
    [
      'model.layers.__proto__',
      "'model.layers' is a list: expected an index (0, 1, ...) after it, got '__proto__'",
    ],
    [
      'model.layers.0.__proto__',
      "'model.layers.0' has no field '__proto__' (expected one of units, activation, l2)",
    ],
    ['optimizer.lr.x', "'optimizer.lr' has no fields, got 'x' after it"],
    ['grid.optimizer.lr', `'grid' is set as a whole, e.g. grid={"optimizer.lr": [0.1, 0.01]}`],
    ['optimizer..lr', 'expected field names separated by dots, e.g. optimizer.lr, got "optimizer..lr"'],
    ['', 'expected field names separated by dots'],
    ['lr', "'lr' is not a spec field"],
  ])('refuses %j before writing anything', (path, message) => {
    const spec = structuredClone(minimal)
    const [problem] = problemsOf(() => setPath(spec, path, 1))
    expect(problem).toContain(message)
    expect(spec).toEqual(minimal)
  })

  it.each([
    ['optimizer.lr', 0.5],
    ['earlyStopping.patience', 3],
    ['dataset.file', 'data.csv'],
    ['report.predict', [100]],
    ['loss.delta', 2],
    ['split.test', 0.2],
    ['standardize.x', true],
    ['cv.folds', 3],
    ['dataset.inline.x', [1, 2]],
    ['model.layers.0.units', 4],
  ])('sets %j, a field the schema has', (path, value) => {
    const out = setPath(minimal, path, value) as Record<string, unknown>
    let at: unknown = out
    for (const k of path.split('.')) at = (at as Record<string, unknown>)[k]
    expect(at).toEqual(value)
    expect(specPathProblem(path)).toBeNull()
  })

  it('appends a list item at the end and refuses an index past it', () => {
    expect(setPath(minimal, 'model.layers.1.units', 1).model.layers).toEqual([{ units: 1 }, { units: 1 }])
    expect(problemsOf(() => setPath(minimal, 'model.layers.5.units', 1))).toEqual([
      `"model.layers.5.units": index 5 is past the end of 'model.layers' (1 item(s))`,
    ])
    expect(setPath(minimal, 'report.predict.0', 5).report).toEqual({ predict: [5] })
  })

  it('refuses a value holding a __proto__, constructor or prototype key', () => {
    const value = JSON.parse('{"lr": 0.1, "__proto__": {"polluted": 1}}')
    expect(problemsOf(() => setPath(minimal, 'optimizer', value))).toEqual([
      "optimizer.__proto__: '__proto__' is not allowed as a field name",
    ])
    expect(problemsOf(() => setPath(minimal, 'grid', { 'optimizer.lr': [{ constructor: 1 }] }))).toEqual([
      `grid."optimizer.lr"[0].constructor: 'constructor' is not allowed as a field name`,
    ])
  })
})

describe('parseSpec refuses prototype keys anywhere, grid keys included', () => {
  const json = (extra: string) =>
    JSON.parse(
      `{"name":"t","dataset":{"builtin":"meters-feet"},"model":{"layers":[{"units":1}]},"optimizer":{"lr":0.1},"epochs":10,${extra}}`,
    )

  it.each([
    // JSON.parse makes an own key "__proto__"; a zod record would drop it without a word.
    ['"grid": {"__proto__": [1]}', "spec.json: grid.__proto__: '__proto__' is not allowed as a field name"],
    ['"__proto__": {"polluted": 1}', "spec.json: __proto__: '__proto__' is not allowed as a field name"],
    [
      '"optimizer2": {"constructor": {"prototype": {"x": 1}}}',
      "spec.json: optimizer2.constructor: 'constructor' is not allowed as a field name",
    ],
    [
      '"grid": {"__proto__.x": [1]}',
      `spec.json: grid."__proto__.x": '__proto__' is not a spec field (expected one of name,`,
    ],
    [
      '"grid": {"constructor.prototype.x": [1]}',
      `spec.json: grid."constructor.prototype.x": 'constructor' is not a spec field`,
    ],
    [
      '"grid": {"optimizer.__proto__": [1]}',
      `spec.json: grid."optimizer.__proto__": 'optimizer' has no field '__proto__'`,
    ],
  ])('%s', async (extra, message) => {
    const raw = json(extra)
    const [problem] = problemsOf(() => parseSpec(raw, 'spec.json'))
    expect(problem).toContain(message)
    await expect(prepareExperiment(raw, 'spec.json')).rejects.toThrow(message)
  })

  it('lists a bad grid key with the other problems, one line each', () => {
    expect(
      problemsOf(() => parseSpec({ ...minimal, epochs: 0, grid: { 'optimizer.lrr': [1] } }, 's')),
    ).toEqual([
      's: epochs: expected a number > 0, got 0',
      "s: grid.\"optimizer.lrr\": 'optimizer' has no field 'lrr' (expected one of name, lr, beta1, beta2, eps, momentum, nesterov, rho, centered, initialAccumulator, weightDecay)",
    ])
  })
})

describe('numbers the engines hold in float32', () => {
  const overflow = "expected a number within float32's range (±3.4e38), got"
  it.each([
    [
      { dataset: { inline: { x: [1, 1e308], y: [1, 2] } } },
      `spec.json: dataset.inline.x[1]: ${overflow} 1e+308`,
    ],
    [
      { dataset: { inline: { x: [1, 2], y: [[1], [-1e39]] } } },
      `spec.json: dataset.inline.y[1][0]: ${overflow} -1e+39`,
    ],
    [{ report: { predict: [1e308] } }, `spec.json: report.predict[0]: ${overflow} 1e+308`],
    [{ report: { predict: [[1, 1e39]] } }, `spec.json: report.predict[0][1]: ${overflow} 1e+39`],
    [{ optimizer: { lr: 1e39 } }, `spec.json: optimizer.lr: ${overflow} 1e+39`],
    [{ loss: { name: 'huber', delta: 1e300 } }, `spec.json: loss.delta: ${overflow} 1e+300`],
    [
      { earlyStopping: { patience: 1, baseline: -1e300 } },
      `spec.json: earlyStopping.baseline: ${overflow} -1e+300`,
    ],
    // JSON.parse turns 1e400 into Infinity (--set optimizer.lr=1e400): named, not "null".
    [
      { optimizer: { lr: Number.POSITIVE_INFINITY } },
      'spec.json: optimizer.lr: expected a number, got Infinity',
    ],
  ])('%j is refused', (extra, message) => {
    expect(problemsOf(() => parseSpec({ ...minimal, ...extra }, 'spec.json'))).toEqual([message])
  })

  it('keeps float32 max itself (as numpy prints it) and refuses grid values past it', async () => {
    expect(parseSpec({ ...minimal, report: { predict: [3.4028235e38] } }).report.predict).toEqual([
      3.4028235e38,
    ])
    await expect(
      prepareExperiment({ ...minimal, grid: { 'optimizer.lr': [0.1, 1e308] } }, 'spec.json'),
    ).rejects.toThrow(`spec.json (grid point 1: optimizer.lr=1e+308): optimizer.lr: ${overflow} 1e+308`)
  })
})

describe('UserError', () => {
  it('keeps every problem on one printable line', () => {
    const e = new UserError(['a\nb\r\n  c', 'tab\there', 'esc \u001b[31mred\u001b[0m', 'c1 \u009b'])
    expect(e.problems).toEqual(['a b c', 'tab here', 'esc \\u001b[31mred\\u001b[0m', 'c1 \\u009b'])
  })
})

function experimentDoc(o: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemaVersion: 2,
    kind: 'dualfit.experiment',
    spec: { name: 'mini', model: { layers: [{ units: 1, activation: 'linear' }] } },
    backend: { id: 'keras-style' },
    trials: [
      {
        id: 'refit/p0/s0',
        stage: 'refit',
        diverged: false,
        weights: [{ inputs: 1, units: 1, kernel: [3.2], bias: [0.5] }],
      },
    ],
    ...o,
  }
}

describe('parseResults: the one reader of results files', () => {
  const label = "results file 'r.json'"
  const read = (doc: unknown) => parseResults(doc, label)

  it('reads a compare document, a single result and a list; non-finite weights come back as numbers', () => {
    expect(read({ schemaVersion: 2, kind: 'dualfit.compare', results: [experimentDoc()] })).toHaveLength(1)
    expect(read(experimentDoc())[0]?.backend.id).toBe('keras-style')
    expect(read([experimentDoc(), experimentDoc()])).toHaveLength(2)
    const diverged = experimentDoc({
      trials: [
        {
          id: 'refit/p0/s0',
          stage: 'refit',
          diverged: true,
          weights: [{ inputs: 1, units: 1, kernel: ['NaN'], bias: ['-Infinity'] }],
        },
      ],
    })
    const w = read(diverged)[0]?.trials[0]?.weights[0]
    expect(w?.kernel[0]).toBeNaN()
    expect(w?.bias[0]).toBe(Number.NEGATIVE_INFINITY)
  })

  it.each([
    [
      { schemaVersion: 99, kind: 'dualfit.compare', results: [] },
      `${label}: schemaVersion: 99 is not supported (this dualfit reads version 2)`,
    ],
    [
      experimentDoc({ schemaVersion: 99 }),
      `${label}: schemaVersion: 99 is not supported (this dualfit reads version 2)`,
    ],
    [
      experimentDoc({ schemaVersion: undefined }),
      `${label}: schemaVersion: missing (this dualfit reads version 2)`,
    ],
    [
      {
        schemaVersion: 2,
        kind: 'dualfit.compare',
        results: [experimentDoc(), experimentDoc({ schemaVersion: '2' })],
      },
      `${label}: results[1].schemaVersion: "2" is not supported (this dualfit reads version 2)`,
    ],
    [
      { hello: 1 },
      `${label}: not a dualfit results file (expected "kind": "dualfit.compare" or "dualfit.experiment" at the top)`,
    ],
    [
      { schemaVersion: 2, kind: 'dualfit.compare', results: [] },
      `${label}: no dualfit experiment results in it`,
    ],
    [
      { schemaVersion: 2, kind: 'dualfit.compare', results: null },
      `${label}: results: expected an array, got null`,
    ],
    [
      experimentDoc({ trials: [{ id: 'refit/p0/s0', stage: 'refit', diverged: false, weights: null }] }),
      `${label}: trials[0].weights: expected an array, got null`,
    ],
    [
      experimentDoc({
        trials: [
          {
            id: 'r',
            stage: 'refit',
            diverged: false,
            weights: [{ inputs: 1, units: 1, kernel: [null], bias: [0] }],
          },
        ],
      }),
      `${label}: trials[0].weights[0].kernel[0]: expected a number (or "NaN", "Infinity", "-Infinity"), got null`,
    ],
    [
      experimentDoc({
        trials: [
          {
            id: 'r',
            stage: 'refit',
            diverged: false,
            weights: [{ inputs: 1, units: 1, kernel: [1, 2], bias: [0] }],
          },
        ],
      }),
      `${label}: trials[0].weights[0]: expected a [1, 1] kernel (1 values) and 1 bias value(s), got [1, 1] (2 values) and 1`,
    ],
    [
      experimentDoc({ trials: [{ id: 'r', stage: 'refit', diverged: false, weights: [] }] }),
      `${label}: trials[0].weights: expected weights for 1 layer(s) (spec.model.layers), got 0`,
    ],
  ])('refuses %j with one line', (doc, message) => {
    const problems = problemsOf(() => read(doc))
    expect(problems).toHaveLength(1)
    expect(problems[0]).toBe(message)
  })

  it('says how many more problems there are, still on one line', () => {
    const problems = problemsOf(() => read(experimentDoc({ spec: null, backend: null })))
    expect(problems).toEqual([`${label}: spec: expected an object, got null (and 1 more problem(s))`])
  })
})
