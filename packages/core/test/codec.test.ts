/**
 * The results codec: what toJson writes, parseResults and parseTrialResult read back as it was,
 * and what they refuse.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type ExperimentResult,
  parseResults,
  parseTrialResult,
  type ReadOptions,
  type TrialResult,
  toJson,
  toJsonLine,
} from '../src/index.js'
import { ranExperiment } from './fixtures.js'

let ran: ExperimentResult
beforeAll(async () => {
  ran = await ranExperiment('NaN')
})

/** The run's refit trial, untouched: every field a final trial can have, all finite. */
const refitTrial = (): TrialResult => structuredClone(ran.trials[2] as TrialResult)

/** The refit as if it diverged at epoch 1: weights first (not the schema's key order), non-finite numbers. */
function divergedTrial(): TrialResult {
  const { weights, history, predictions, timings, ...rest } = refitTrial()
  const upTo1 = (xs: number[] = [], then = Number.NaN) => [...xs.slice(0, 1), then]
  return {
    weights: weights.map((w) => ({ ...w, kernel: [Number.NaN], bias: [Number.NEGATIVE_INFINITY] })),
    ...rest,
    epochsRun: 2,
    stoppedEpoch: 1,
    bestEpoch: 0,
    diverged: true,
    finalLoss: Number.POSITIVE_INFINITY,
    testMse: Number.NaN,
    history: { loss: upTo1(history.loss, Number.POSITIVE_INFINITY), error: upTo1(history.error) },
    predictions: predictions.map((p) => ({ ...p, y: [Number.NaN], absError: [Number.NaN] })),
    timings: { ...timings, usPerStep: Number.POSITIVE_INFINITY, epochMs: upTo1(timings.epochMs, 2) },
  }
}

/** The run's search trial on fold 0, with a validation loss (as early stopping's trials have) added. */
function searchTrial(): TrialResult {
  const t = structuredClone(ran.trials[0] as TrialResult)
  return { ...t, history: { ...t.history, valLoss: t.history.loss.map((l) => l + 1) } }
}

/**
 * The whole result as the run wrote it, but with those two trials, non-finite scores and wall time;
 * its spec is named "NaN", which stays a string.
 */
function experiment(): ExperimentResult {
  const r = structuredClone(ran)
  const nonFinite = { mean: Number.POSITIVE_INFINITY, sd: Number.NaN, se: Number.NaN }
  return {
    ...r,
    selection: {
      ...r.selection,
      scores: r.selection.scores.map((s) => ({
        ...s,
        ...nonFinite,
        values: [Number.POSITIVE_INFINITY, 0.5],
      })),
    },
    trials: [searchTrial(), divergedTrial()],
    totals: { ...r.totals, trials: 2, wallMs: Number.NEGATIVE_INFINITY },
  }
}

const compareDoc = (results: unknown[]) => ({
  schemaVersion: 2,
  kind: 'dualfit.compare',
  results,
  summaries: [],
})

/** `o` with only `keys`, in that order. */
const only = (o: object, keys: string[]) =>
  Object.fromEntries(keys.map((k) => [k, (o as Record<string, unknown>)[k]]))

/** Every object's keys, in order, depth first: the shape the bytes of a file follow. */
function keyOrder(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(keyOrder)
  if (v === null || typeof v !== 'object') return []
  return Object.entries(v).flatMap(([k, x]) => [k, ...keyOrder(x)])
}

/** A UserError with these lines (and no other error). */
const refusedWith = (...problems: (string | RegExp)[]) =>
  expect.objectContaining({
    name: 'UserError',
    problems: problems.map((p) => (typeof p === 'string' ? p : expect.stringMatching(p))),
  })

describe('toJson and toJsonLine', () => {
  it('spell non-finite numbers as strings; toJson indents by 2 and both end in a newline', () => {
    const v = { a: Number.NaN, b: [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY], c: 1.5, d: 'NaN' }
    expect(toJson(v)).toBe(
      '{\n  "a": "NaN",\n  "b": [\n    "Infinity",\n    "-Infinity"\n  ],\n  "c": 1.5,\n  "d": "NaN"\n}\n',
    )
    expect(toJsonLine(v)).toBe('{"a":"NaN","b":["Infinity","-Infinity"],"c":1.5,"d":"NaN"}\n')
  })
})

describe('parseResults reads back what toJson wrote', () => {
  it.each<ReadOptions>([{}, { for: 'export' }, { for: 'report' }])(
    'the same numbers, NaN and ±Infinity included, the same key order and the same bytes (%j)',
    (options) => {
      const written = toJson(compareDoc([experiment()]))
      const back = parseResults(JSON.parse(written), 'f', options)
      expect(back).toEqual([experiment()])
      const [r] = back
      expect(r?.trials[1]?.finalLoss).toBe(Number.POSITIVE_INFINITY)
      expect(r?.trials[1]?.testMse).toBeNaN()
      expect(r?.trials[1]?.history.error?.[1]).toBeNaN()
      expect(r?.trials[1]?.predictions[0]?.absError?.[0]).toBeNaN()
      expect(r?.trials[1]?.timings.usPerStep).toBe(Number.POSITIVE_INFINITY)
      expect(r?.trials[1]?.weights[0]?.bias[0]).toBe(Number.NEGATIVE_INFINITY)
      expect(r?.selection.scores[0]?.mean).toBe(Number.POSITIVE_INFINITY)
      expect(r?.selection.scores[0]?.se).toBeNaN()
      expect(r?.selection.scores[0]?.values[0]).toBe(Number.POSITIVE_INFINITY)
      expect(r?.totals.wallMs).toBe(Number.NEGATIVE_INFINITY)
      // Only numeric fields are revived.
      expect(r?.spec.name).toBe('NaN')
      expect(keyOrder(back)).toEqual(keyOrder([experiment()]))
      expect(toJson(compareDoc(back))).toBe(written)
    },
  )

  it('takes a single result and a list of them', () => {
    const one = toJson(experiment())
    const [back] = parseResults(JSON.parse(one), 'f', { for: 'report' })
    expect(toJson(back)).toBe(one)
    const two = JSON.parse(toJson([experiment(), experiment()]))
    expect(parseResults(two, 'f')).toEqual([experiment(), experiment()])
  })

  it('for export, revives the numbers a sparse result has and asks for no others', () => {
    const doc = JSON.parse(
      toJson({
        ...only(experiment(), ['schemaVersion', 'kind', 'spec', 'backend']),
        trials: [only(divergedTrial(), ['id', 'stage', 'diverged', 'finalLoss', 'history', 'weights'])],
      }),
    )
    const [t] = parseResults(doc, 'f')[0]?.trials ?? []
    expect(t?.finalLoss).toBe(Number.POSITIVE_INFINITY)
    expect(t?.history.loss[1]).toBe(Number.POSITIVE_INFINITY)
    expect(t?.history.error?.[1]).toBeNaN()
    expect(t?.weights[0]?.kernel[0]).toBeNaN()
    expect(Object.keys(t ?? {})).toEqual(['id', 'stage', 'diverged', 'finalLoss', 'history', 'weights'])
    // The report needs the whole result.
    expect(() => parseResults(doc, 'f', { for: 'report' })).toThrow(
      refusedWith(/^f: selection: expected an object, got nothing \(and \d+ more problem\(s\)\)$/),
    )
  })
})

describe('parseTrialResult reads back a journal line', () => {
  const layers = [{ units: 1 }]
  /** The refit's journal line, read as plain JSON, with `o` over it. */
  const line = (o: Record<string, unknown> = {}) => ({ ...JSON.parse(toJsonLine(refitTrial())), ...o })
  const w = (kernel: unknown, bias: unknown = [0]) => [{ inputs: 1, units: 1, kernel, bias }]

  it('as it was written, bytes included', () => {
    for (const t of [searchTrial(), refitTrial(), divergedTrial()]) {
      const written = toJsonLine(t)
      const back = parseTrialResult(JSON.parse(written), layers, 'j')
      expect(back).toEqual(t)
      expect(toJsonLine(back)).toBe(written)
    }
  })

  it('a diverged trial with non-finite numbers spelled as strings', () => {
    const diverged = parseTrialResult(
      line({ diverged: true, weights: w(['NaN'], ['Infinity']), finalLoss: 'Infinity', testMse: 'Infinity' }),
      layers,
      'j',
    )
    expect(diverged.weights[0]?.kernel[0]).toBeNaN()
    expect(diverged.weights[0]?.bias[0]).toBe(Number.POSITIVE_INFINITY)
    expect(diverged.testMse).toBe(Number.POSITIVE_INFINITY)
  })

  it.each([
    [{ weights: w('oops') }, 'j: weights[0].kernel: expected an array'],
    [{ weights: w([[999]]) }, 'j: weights[0].kernel[0]: expected a number'],
    [{ weights: w([1, 2]) }, 'j: weights[0]: expected a [1, 1] kernel (1 values)'],
    [
      { weights: w(['NaN']) },
      'j: weights[0].kernel[0]: expected a finite number (the trial did not diverge)',
    ],
    [{ testMse: 'Infinity' }, 'j: testMse: expected a finite number >= 0 (the trial did not diverge)'],
    [{ testMse: -1 }, 'j: testMse: expected a finite number >= 0'],
    [{ fold: 'x' }, 'j: fold:'],
    [{ history: undefined }, 'j: history:'],
  ])('refuses %j in one line', (o, message) => {
    expect(() => parseTrialResult(line(o), layers, 'j')).toThrow(message)
  })
})

describe('parseResults refuses, in one line naming the path', () => {
  const label = "results file 'r.json'"
  type Json = Record<string | number, unknown>
  /** The written result, read as plain JSON, with the value at `path` set (or, with none, removed). */
  const edited =
    (path: (string | number)[], ...value: unknown[]) =>
    () => {
      const r = JSON.parse(toJson(experiment())) as Json
      const parent = path.slice(0, -1).reduce<Json>((o, k) => o[k] as Json, r)
      const key = path[path.length - 1] as string | number
      if (value.length === 0) delete parent[key]
      else parent[key] = value[0]
      return compareDoc([r])
    }
  const report: ReadOptions = { for: 'report' }

  // Documents are made when a test runs: the run is made before all of them.
  it.each<[string, () => unknown, ReadOptions, string]>([
    [
      'a version it does not read',
      () => ({ ...compareDoc([experiment()]), schemaVersion: 9 }),
      report,
      `${label}: schemaVersion: 9 is not supported (this dualfit reads version 2)`,
    ],
    ['an empty list', () => [], report, `${label}: no dualfit experiment results in it`],
    [
      'no seeds, for a report',
      edited(['spec', 'seeds']),
      report,
      `${label}: results[0].spec.seeds: expected an array, got nothing`,
    ],
    [
      'trials that are not a list',
      edited(['trials'], 'no'),
      {},
      `${label}: results[0].trials: expected an array, got "no"`,
    ],
    [
      'columns that are not names, for a report',
      edited(['data', 'columns', 'x'], [1]),
      report,
      `${label}: results[0].data.columns.x[0]: expected a string, got 1`,
    ],
    [
      'a trial with no predictions, for a report',
      edited(['trials', 0, 'predictions']),
      report,
      `${label}: results[0].trials[0].predictions: expected an array, got nothing`,
    ],
    [
      'a loss that is not a number, for export too',
      edited(['trials', 0, 'history', 'loss', 1], 'x'),
      {},
      `${label}: results[0].trials[0].history.loss[1]: expected a number (or "NaN", "Infinity", "-Infinity"), got "x"`,
    ],
    [
      'an infinite final loss in a trial that did not diverge',
      edited(['trials', 0, 'finalLoss'], 'Infinity'),
      {},
      `${label}: results[0].trials[0].finalLoss: expected a finite number >= 0 (the trial did not diverge)`,
    ],
    [
      'a score that is not a number',
      edited(['selection', 'scores', 0, 'sd'], null),
      {},
      `${label}: results[0].selection.scores[0].sd: expected a number (or "NaN", "Infinity", "-Infinity"), got null`,
    ],
    [
      'a selected point with no score',
      edited(['selection', 'selected'], 1),
      report,
      `${label}: results[0].selection.selected: expected the index of one of selection.scores`,
    ],
    [
      'no totals, for a report',
      edited(['totals']),
      report,
      `${label}: results[0].totals: expected an object, got nothing`,
    ],
  ])('%s', (_what, doc, options, message) => {
    expect(() => parseResults(doc(), label, options)).toThrow(refusedWith(message))
  })
})
