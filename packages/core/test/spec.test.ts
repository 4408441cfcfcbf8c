import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { isUserError, parseSpec, prepareExperiment, setPath } from '../src/index.js'
import { minimal } from './fixtures.js'

const seed = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../experiments/${name}.json`, import.meta.url), 'utf8'))

function problems(input: unknown): string[] {
  try {
    parseSpec(input, 'spec.json')
  } catch (e) {
    if (isUserError(e)) return e.problems
    throw e
  }
  return []
}

describe('spec', () => {
  it("parses the seed's two protocols", () => {
    const k = parseSpec(seed('seed-keras'))
    expect(k.grid['optimizer.lr']).toEqual([0.001, 0.01, 0.1, 0.2, 0.25, 0.3])
    expect(k.cv).toEqual({ folds: 3, shuffle: false })
    expect(k.earlyStopping).toMatchObject({
      monitor: 'loss',
      patience: 7,
      minDelta: 1e-4,
      restoreBestWeights: false,
    })
    const t = parseSpec(seed('seed-torch'))
    expect(t.batchSize).toBe('full')
    expect(t.selection.score).toBe('train_loss')
    expect(t.earlyStopping).toMatchObject({ patience: 10, minDelta: 0 })
  })

  it('fills defaults by convention', () => {
    const s = parseSpec(minimal)
    expect(s.loss).toEqual({ name: 'mse', delta: 1 })
    expect(s.optimizer).toEqual({ name: 'adam', lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-7, momentum: 0 })
    expect(s.model.layers[0]?.activation).toBe('linear')
    expect([s.batchSize, s.shuffle, s.init, s.seeds, s.selection.score]).toEqual([
      32,
      true,
      'keras',
      [0],
      'train_loss',
    ])
    expect(parseSpec({ ...minimal, init: 'torch' }).optimizer.eps).toBe(1e-8)
    expect(parseSpec({ ...minimal, init: 'framework' }).optimizer.eps).toBeNull()
    expect(parseSpec({ ...minimal, loss: { name: 'huber', delta: 2 } }).loss).toEqual({
      name: 'huber',
      delta: 2,
    })
  })

  it('reports one line per problem with the JSON path and what was expected', () => {
    expect(problems({ ...minimal, optimizer: { lr: -1 } })).toEqual([
      'spec.json: optimizer.lr: expected a number > 0, got -1',
    ])
    expect(
      problems({ ...minimal, epochs: 1.5, model: { layers: [{ units: 0, activation: 'gelu' }] }, extra: 1 }),
    ).toEqual([
      'spec.json: model.layers[0].units: expected a number > 0, got 0',
      'spec.json: model.layers[0].activation: expected one of "linear", "relu", "tanh", "sigmoid", "softmax", got "gelu"',
      'spec.json: epochs: expected an integer, got 1.5',
      "spec.json: unknown field(s) 'extra'",
    ])
    expect(problems({ ...minimal, batchSize: 'half' })).toEqual([
      'spec.json: batchSize: expected a positive integer or "full", got "half"',
    ])
    expect(problems({ ...minimal, loss: { name: 'huber', delta: -2 } })).toEqual([
      'spec.json: loss.delta: expected a number > 0, got -2',
    ])
    expect(problems({ ...minimal, name: undefined })).toEqual([
      'spec.json: name: expected a string, got nothing',
    ])
    expect(problems({ ...minimal, selection: { score: 'cv_mse' } })).toEqual([
      "spec.json: selection.score: expected 'train_loss' without cv, got 'cv_mse'",
    ])
    expect(problems([])).toEqual(['spec.json: expected an object, got an array'])
  })

  it('validates every grid point and the data shapes', async () => {
    const bad = (extra: object) => expect(prepareExperiment({ ...minimal, ...extra }, 'spec.json')).rejects
    await bad({ grid: { 'optimizer.lr': [0.1, -2] } }).toThrow(
      'spec.json (grid point 1: optimizer.lr=-2): optimizer.lr: expected a number > 0, got -2',
    )
    await bad({ grid: { 'optimizer.lrr': [0.1] } }).toThrow(
      `spec.json: grid."optimizer.lrr": 'optimizer' has no field 'lrr' (expected one of name, lr, beta1, beta2, eps, momentum, nesterov, rho, centered, initialAccumulator, weightDecay)`,
    )
    await bad({ grid: { seeds: [[1]] } }).toThrow(
      `spec.json: grid."seeds": 'seeds' is fixed for the whole experiment`,
    )
    await bad({ model: { layers: [{ units: 2 }] } }).toThrow(
      "spec.json: model.layers[0].units: expected 1 (the dataset's outputs), got 2",
    )
    await bad({ report: { predict: [[1, 2]] } }).toThrow(
      'spec.json: report.predict[0]: expected 1 input value(s), got 2',
    )
    await bad({ cv: { folds: 8 } }).toThrow(
      'spec.json: cv.folds: expected at most 7 (the rows of meters-feet), got 8',
    )
  })

  it('expands the grid in order and hashes the validated spec', async () => {
    const e = await prepareExperiment({ ...minimal, grid: { 'optimizer.lr': [0.1, 0.2], epochs: [5, 6] } })
    expect(e.points.map((p) => [p.spec.optimizer.lr, p.spec.epochs])).toEqual([
      [0.1, 5],
      [0.1, 6],
      [0.2, 5],
      [0.2, 6],
    ])
    expect(e.specHash).toMatch(/^[0-9a-f]{64}$/)
    expect((await prepareExperiment({ ...minimal, grid: { epochs: [6, 5] } })).specHash).not.toBe(e.specHash)
    // Key order and omitted defaults do not change the hash.
    const reordered = {
      epochs: 10,
      optimizer: { name: 'adam', lr: 0.1 },
      model: { layers: [{ units: 1 }] },
      dataset: { builtin: 'meters-feet' },
      name: 't',
    }
    expect((await prepareExperiment(reordered)).specHash).toBe((await prepareExperiment(minimal)).specHash)
  })

  it('setPath copies instead of mutating', () => {
    const o = { ...minimal, optimizer: { lr: 0.1 } }
    expect(setPath(o, 'optimizer.lr', 2).optimizer).toEqual({ lr: 2 })
    expect(o.optimizer.lr).toBe(0.1)
  })
})
