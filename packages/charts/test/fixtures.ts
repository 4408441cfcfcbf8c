import { type ExperimentResult, parseSpec, type SpecInput, type TrialResult } from '@dualfit/core'

export const seedData = {
  name: 'meters-feet',
  description: 'meters -> feet',
  columns: { x: ['meters'], y: ['feet'] },
  units: { x: ['m'], y: ['ft'] },
  rows: 7,
  dropped: 0,
  testRows: 0,
  sha256: '0'.repeat(64),
}

export function trial(stage: TrialResult['stage'], o: Partial<TrialResult> = {}): TrialResult {
  const seed = o.seed ?? 0
  return {
    id: `${stage}/p0/s${seed}`,
    stage,
    point: 0,
    params: { 'optimizer.lr': 0.1 },
    fold: null,
    seed,
    epochs: 4,
    epochsRun: 4,
    stoppedEpoch: null,
    bestEpoch: null,
    diverged: false,
    steps: 4,
    history: { loss: [100, 10, 1, 0.1] },
    finalLoss: 0.1,
    testMse: null,
    weights: [{ inputs: 1, units: 1, kernel: [3.28], bias: [0.01] }],
    predictions: [{ x: [100], y: [328.01], exact: [328.084], absError: [0.074] }],
    timings: { setupMs: 1, trainMs: 2, totalMs: 3, usPerStep: 95 },
    ...o,
  }
}

export const baseSpec: SpecInput = {
  name: 'mini',
  dataset: { builtin: 'meters-feet' },
  model: { layers: [{ units: 1 }] },
  optimizer: { lr: 0.1 },
  epochs: 4,
  seeds: [0],
  grid: { 'optimizer.lr': [0.1, 0.01, 0.001] },
  cv: { folds: 3 },
  earlyStopping: { patience: 1 },
  report: { predict: [100] },
}

/** A result as dualfit writes it, with what a test changes. */
export function result(
  backend: string,
  o: {
    spec?: Partial<SpecInput>
    trials?: TrialResult[]
    scores?: ExperimentResult['selection']['scores']
    selected?: number
    data?: Partial<ExperimentResult['data']>
  } = {},
): ExperimentResult {
  const spec = parseSpec({ ...baseSpec, ...o.spec })
  const keys = Object.keys(spec.grid)
  const values = keys.length === 1 ? (spec.grid[keys[0] as string] as unknown[]) : [undefined]
  const points = keys.length === 1 ? values.map((v) => ({ [keys[0] as string]: v })) : [{}]
  return {
    schemaVersion: 2,
    kind: 'dualfit.experiment',
    spec,
    specHash: `hash-${spec.name}`,
    data: { ...seedData, ...o.data },
    backend: {
      id: backend,
      version: `${backend}@1`,
      engine: { id: 'cpu', device: 'cpu', available: true, detail: '' },
    },
    environment: { node: 'v20', platform: 'linux', arch: 'x64', cpu: 'x', cpus: 2, workers: 1, packages: {} },
    grid: { keys, points },
    selection: {
      score: spec.cv ? 'cv_mse' : 'train_loss',
      rule: 'best',
      selected: o.selected ?? 0,
      scores:
        o.scores ??
        points.map((p, i) => ({
          point: i,
          params: p,
          mean: 10 ** i * 0.02,
          sd: 0.01,
          se: 0.005,
          tie: i === 0,
          values: [10 ** i * 0.01, 10 ** i * 0.02, 10 ** i * 0.03],
        })),
    },
    trials: o.trials ?? [
      trial('refit'),
      trial('early-stopping', { history: { loss: [100, 10, 1] }, epochsRun: 3, stoppedEpoch: 2 }),
    ],
    totals: { trials: 2, steps: 8, trainMs: 4, wallMs: 10 },
  }
}
