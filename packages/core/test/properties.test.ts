/**
 * Property-based tests (fast-check, fixed seed, bounded runs): whatever JSON comes in, the spec
 * parser, setPath and the results reader either succeed or throw a UserError of one-line problems,
 * and Object.prototype is never touched.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type ExperimentSpec,
  isUserError,
  parseResults,
  parseSpec,
  setPath,
  specPathProblem,
} from '../src/index.js'
import { minimal } from './fixtures.js'

const RUNS = { seed: 42, numRuns: 200 }
const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort()

function expectUnpolluted(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTO_NAMES)
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
}

/** Runs `f`: its value, or the problems of the UserError it threw; any other exception fails the property. */
function outcome<T>(f: () => T): { value: T } | { problems: string[] } {
  try {
    return { value: f() }
  } catch (e) {
    if (!isUserError(e)) throw new Error(`not a UserError: ${(e as Error)?.stack ?? String(e)}`)
    return { problems: e.problems }
  }
}

function expectOneLineProblems(problems: string[], prefix: string): void {
  expect(problems.length).toBeGreaterThan(0)
  for (const p of problems) {
    expect(p).not.toMatch(/[\r\n\u2028\u2029]/)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no control character may reach the terminal
    expect(p).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/)
    expect(p.startsWith(prefix)).toBe(true)
  }
}

const SPEC_WORDS = [
  'name',
  'description',
  'dataset',
  'builtin',
  'inline',
  'file',
  'x',
  'y',
  'model',
  'layers',
  'units',
  'activation',
  'loss',
  'delta',
  'optimizer',
  'lr',
  'epochs',
  'batchSize',
  'grid',
  'optimizer.lr',
  'cv',
  'folds',
  'earlyStopping',
  'patience',
  'report',
  'predict',
  'split',
  'test',
  'seeds',
  '0',
  '1',
  '__proto__',
  'constructor',
  'prototype',
  '__proto__.x',
  'toString',
]

/** Keys a spec might have, a hostile one might have, and anything else. */
const key = fc.oneof(fc.constantFrom(...SPEC_WORDS), fc.string({ maxLength: 8 }))

/**
 * JSON text (then parsed, so that "__proto__" is an own key as JSON.parse makes it) built from
 * spec-like keys, numbers at the edges of float32 and any other JSON value.
 */
const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(
      'null',
      'true',
      'false',
      '0',
      '-1',
      '1e308',
      '3.4028235e38',
      '1e39',
      '0.1',
      '2',
      '"full"',
      '"mse"',
    ),
    fc.double().map((d) => (Number.isFinite(d) ? JSON.stringify(d) : 'null')),
    fc.string({ maxLength: 10 }).map((s) => JSON.stringify(s)),
    fc.array(tie('value'), { maxLength: 4 }).map((xs) => `[${xs.join(',')}]`),
    fc
      .array(fc.tuple(key, tie('value')), { maxLength: 5 })
      .map((kv) => `{${kv.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  ),
})).value

/** A valid spec with some fields replaced by arbitrary JSON: gets past the top level into the fields. */
const nearSpec = fc.array(fc.tuple(key, jsonText), { maxLength: 4 }).map((edits) => {
  const spec: Record<string, unknown> = structuredClone(minimal) as Record<string, unknown>
  for (const [k, text] of edits)
    Object.defineProperty(spec, k, {
      value: JSON.parse(text),
      enumerable: true,
      configurable: true,
      writable: true,
    })
  return spec
})

describe('the spec parser, on any JSON', () => {
  it('returns a spec or throws a UserError with one line per problem', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          jsonText.map((t) => JSON.parse(t) as unknown),
          nearSpec,
        ),
        (input) => {
          const r = outcome(() => parseSpec(input, 'spec.json'))
          if ('problems' in r) expectOneLineProblems(r.problems, 'spec.json: ')
          else {
            const s: ExperimentSpec = r.value
            expect(typeof s.name).toBe('string')
            expect(s.model.layers.length).toBeGreaterThan(0)
            for (const v of s.report.predict.flat()) expect(Number.isFinite(Math.fround(v))).toBe(true)
            for (const k of Object.keys(s.grid)) expect(specPathProblem(k)).toBeNull()
          }
          expectUnpolluted()
        },
      ),
      RUNS,
    )
  })
})

describe('setPath, on any path and value', () => {
  const path = fc.oneof(
    fc.constantFrom(
      'name',
      'optimizer.lr',
      'earlyStopping.patience',
      'dataset.file',
      'dataset.inline.x.0',
      'report.predict',
      'model.layers.0.units',
      'model.layers.1',
      'loss.delta',
      'grid',
      'split.test',
    ),
    fc.array(key, { minLength: 1, maxLength: 4 }).map((ks) => ks.join('.')),
  )

  it('sets a schema path in a copy, or refuses it with one line; never touches the input or Object.prototype', () => {
    fc.assert(
      fc.property(nearSpec, path, jsonText, (spec, p, text) => {
        const value = JSON.parse(text) as unknown
        const before = structuredClone(spec)
        const r = outcome(() => setPath(spec, p, value))
        expect(spec).toEqual(before)
        if ('problems' in r) {
          expect(r.problems).toHaveLength(1)
          expectOneLineProblems(r.problems, '')
        } else {
          expect(specPathProblem(p)).toBeNull()
          let at: unknown = r.value
          for (const k of p.split('.')) {
            expect(Object.hasOwn(at as object, k)).toBe(true)
            at = (at as Record<string, unknown>)[k]
          }
          expect(at).toEqual(value)
        }
        expectUnpolluted()
      }),
      RUNS,
    )
  })
})

const experiment = {
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
}

/** A valid results document with one field somewhere replaced by arbitrary JSON. */
const nearResults = fc
  .tuple(
    fc.constantFrom(
      [],
      ['schemaVersion'],
      ['kind'],
      ['results'],
      ['results', 0, 'schemaVersion'],
      ['results', 0, 'spec'],
      ['results', 0, 'spec', 'model', 'layers'],
      ['results', 0, 'spec', 'model', 'layers', 0, 'units'],
      ['results', 0, 'backend'],
      ['results', 0, 'trials'],
      ['results', 0, 'trials', 0, 'weights'],
      ['results', 0, 'trials', 0, 'weights', 0],
      ['results', 0, 'trials', 0, 'weights', 0, 'kernel'],
      ['results', 0, 'trials', 0, 'weights', 0, 'kernel', 0],
      ['results', 0, 'trials', 0, 'weights', 0, 'inputs'],
      ['results', 0, 'trials', 0, 'diverged'],
    ),
    jsonText,
  )
  .map(([path, text]) => {
    const doc: Record<string | number, unknown> = {
      schemaVersion: 2,
      kind: 'dualfit.compare',
      results: [structuredClone(experiment)],
    }
    const value = JSON.parse(text) as unknown
    if (path.length === 0) return value
    let at = doc
    for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>
    at[path[path.length - 1] as string | number] = value
    return doc
  })

/** Valid documents: 1-3 layers of 1-3 units, weights of the right shapes, some of them "NaN" or "Infinity". */
const weight = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom('NaN', 'Infinity', '-Infinity'),
)
const validResults = fc
  .tuple(
    fc.integer({ min: 1, max: 3 }),
    fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
    fc.integer({ min: 0, max: 3 }),
  )
  .chain(([inputs, units, trials]) => {
    const shapes = units.map((u, i) => ({ inputs: i === 0 ? inputs : (units[i - 1] as number), units: u }))
    const layerWeights = shapes.map((sh) =>
      fc.record({
        inputs: fc.constant(sh.inputs),
        units: fc.constant(sh.units),
        kernel: fc.array(weight, { minLength: sh.inputs * sh.units, maxLength: sh.inputs * sh.units }),
        bias: fc.array(weight, { minLength: sh.units, maxLength: sh.units }),
      }),
    )
    const trial = fc.record({
      id: fc.constant('refit/p0/s0'),
      stage: fc.constantFrom('search', 'refit', 'early-stopping'),
      diverged: fc.boolean(),
      weights: fc.tuple(...layerWeights),
    })
    return fc.array(trial, { minLength: trials, maxLength: trials }).map((ts) => ({
      ...experiment,
      spec: { name: 'mini', model: { layers: units.map((u) => ({ units: u, activation: 'linear' })) } },
      trials: ts,
    }))
  })

describe('the results reader, on any JSON', () => {
  it('returns validated results or throws a UserError of exactly one line naming the file', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          jsonText.map((t) => JSON.parse(t) as unknown),
          nearResults,
          validResults,
        ),
        (doc) => {
          const r = outcome(() => parseResults(doc, "results file 'r.json'"))
          if ('problems' in r) {
            expect(r.problems).toHaveLength(1)
            expectOneLineProblems(r.problems, "results file 'r.json': ")
          } else {
            for (const e of r.value) {
              expect(typeof e.spec.name).toBe('string')
              for (const t of e.trials) {
                expect(t.weights).toHaveLength(e.spec.model.layers.length)
                for (const w of t.weights)
                  for (const v of [...w.kernel, ...w.bias]) expect(typeof v).toBe('number')
              }
            }
          }
          expectUnpolluted()
        },
      ),
      RUNS,
    )
  })
})
