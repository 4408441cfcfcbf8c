/** Planning: a spec and its data become an Experiment, and an Experiment a list of trials. */
import { createHash } from 'node:crypto'
import { totalmem } from 'node:os'
import type { DataSplit, Workload } from './backend.js'
import {
  type DataInfo,
  type Dataset,
  dataHash,
  listBuiltinDatasets,
  loadDataset,
  subset,
} from './datasets.js'
import { UserError } from './errors.js'
import { formatBytes } from './files.js'
import { parseSpec, setPath } from './parse-spec.js'
import { Rng } from './rng.js'
import { type ExperimentSpec, taskOf } from './spec.js'
import type { Params, Stage, Trial } from './trials.js'

/** Fields that define the protocol itself; varying them per grid point would make scores incomparable. */
const FIXED_FIELDS = new Set([
  'name',
  'description',
  'dataset',
  'seeds',
  'grid',
  'cv',
  'selection',
  'refit',
  'report',
  'standardize',
  'split',
])

/** A validated spec with its data and grid expanded: everything a trial needs, computed once. */
export interface Experiment {
  /** The spec as given (before defaults): what a worker needs to rebuild this experiment. */
  raw: unknown
  source: string
  /** Where a file dataset's relative path starts (the spec file's folder). */
  baseDir: string
  spec: ExperimentSpec
  specHash: string
  dataset: Dataset
  /** The rows CV and refit use: all of them, or what the split left after holding out `holdout`. */
  dev: DataSplit
  /** The held-out test rows (spec `split`), never trained on. */
  holdout: DataSplit | null
  data: DataInfo
  gridKeys: string[]
  points: { params: Params; spec: ExperimentSpec }[]
  /** Report inputs as rows of `dataset.inputs` values. */
  predictRows: number[][]
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical)
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    )
  }
  return v
}

export function hashSpec(spec: ExperimentSpec): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(spec)))
    .digest('hex')
}

function cartesian(keys: string[], values: unknown[][]): Params[] {
  let out: Params[] = [{}]
  keys.forEach((k, i) => {
    out = out.flatMap((p) => (values[i] as unknown[]).map((v) => ({ ...p, [k]: v })))
  })
  return out
}

/** Test rows as scikit-learn's train_test_split: ceil(test * n) held out, from a seeded permutation. */
function splitRows(
  n: number,
  split: NonNullable<ExperimentSpec['split']>,
): { dev: Uint32Array; test: Uint32Array } {
  const nTest = Math.ceil(split.test * n)
  // Without shuffling the last rows are the test set, as train_test_split(shuffle=False).
  const test = split.shuffle
    ? new Rng(split.seed, 'split').permutation(n).subarray(0, nTest)
    : Uint32Array.from({ length: nTest }, (_, i) => n - nTest + i)
  // Development rows keep file order: a mask, not a sort (1e6 rows).
  const held = new Uint8Array(n)
  for (const i of test) held[i] = 1
  const dev = new Uint32Array(n - nTest)
  let at = 0
  for (let i = 0; i < n; i++) if (!held[i]) dev[at++] = i
  return { dev, test }
}

/**
 * The plan guard: told the size of a validated spec's plan (its dataset's rows; see planSize)
 * before its data is generated, its grid expanded or anything else proportional to the plan is
 * built. It throws (a UserError) to refuse.
 */
export type PlanCheck = (spec: ExperimentSpec, rows: number) => void

/**
 * Validates a spec (parsed JSON), loads its data and checks everything that depends on it;
 * UserError otherwise. A file dataset's path is relative to `baseDir`.
 */
export async function prepareExperiment(
  raw: unknown,
  source = 'spec',
  baseDir = process.cwd(),
  check?: PlanCheck,
): Promise<Experiment> {
  const spec = parseSpec(raw, source)
  const gridKeys = Object.keys(spec.grid)
  if (!spec.refit && gridKeys.length === 0 && !spec.cv && !spec.earlyStopping) {
    throw new UserError(
      `${source}: refit: expected true when there is no grid, cv or earlyStopping (nothing would train)`,
    )
  }
  for (const k of gridKeys) {
    const root = k.split('.')[0] as string
    if (FIXED_FIELDS.has(root))
      throw new UserError(`${source}: grid."${k}": '${root}' is fixed for the whole experiment`)
  }
  checkTrials(spec, source)
  // Generated and inline rows are counted from the spec; a file's only by reading it, which costs
  // what the file holds, not what the plan would.
  const known = knownRows(spec.dataset)
  if (known) {
    checkMemory(known.rows, known.values, source)
    check?.(spec, known.rows)
  }
  const task = taskOf(spec)
  const dataset = await loadDataset(spec.dataset, baseDir, task)
  if (!known) check?.(spec, dataset.n)
  const points = cartesian(
    gridKeys,
    gridKeys.map((k) => spec.grid[k] as unknown[]),
  ).map((params, i) => {
    let pointRaw = raw
    for (const [k, v] of Object.entries(params)) pointRaw = setPath(pointRaw, k, v)
    const label = Object.entries(params)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ')
    return { params, spec: parseSpec(pointRaw, `${source} (grid point ${i}: ${label})`) }
  })
  for (const { spec: s } of points) checkShapes(s, dataset, source)
  const { dev, holdout } = devAndHoldout(spec, dataset, source)
  if (dataset.classes) checkClasses(spec, dataset, dev, source)
  const predictRows = spec.report.predict.map((v, i) => {
    const row = Array.isArray(v) ? v : [v]
    if (row.length !== dataset.inputs) {
      throw new UserError(
        `${source}: report.predict[${i}]: expected ${dataset.inputs} input value(s), got ${row.length}`,
      )
    }
    return row
  })
  const data: DataInfo = {
    name: dataset.name,
    description: dataset.description,
    ...('file' in spec.dataset ? { file: spec.dataset.file } : {}),
    columns: dataset.columns,
    units: { x: dataset.inputUnits, y: dataset.outputUnits },
    rows: dataset.n,
    dropped: dataset.dropped,
    testRows: holdout?.n ?? 0,
    sha256: dataHash(dataset),
    yMeanSquare: meanSquare(dev.y),
    ...(dataset.classes ? { classes: dataset.classes, classCounts: classCounts(dataset) } : {}),
  }
  return {
    raw,
    source,
    baseDir,
    spec,
    specHash: hashSpec(spec),
    dataset,
    dev,
    holdout,
    data,
    gridKeys,
    points,
    predictRows,
  }
}

/** The rows CV and refit use and the held-out test rows (spec `split`); enough of them for the folds. */
function devAndHoldout(spec: ExperimentSpec, dataset: Dataset, source: string) {
  let dev: DataSplit = dataset
  let holdout: DataSplit | null = null
  if (spec.split) {
    const rows = dataset.classes
      ? stratifiedSplit(dataset.y, dataset.classes.length, spec.split)
      : splitRows(dataset.n, spec.split)
    if (rows.dev.length < 2)
      throw new UserError(
        `${source}: split.test: ${spec.split.test} of ${dataset.n} rows leaves ${rows.dev.length} to train on, expected at least 2`,
      )
    dev = subset(dataset, rows.dev)
    holdout = subset(dataset, rows.test)
  }
  const minRows = spec.cv?.folds ?? 1
  if (dev.n < minRows) {
    const after = [
      dataset.dropped > 0 ? `dropping ${dataset.dropped} with missing values` : '',
      holdout ? `holding out ${holdout.n} for test` : '',
    ].filter(Boolean)
    throw new UserError(
      `${source}: cv.folds: expected at most ${dev.n} (the rows of ${dataset.name}${after.length ? ` after ${after.join(' and ')}` : ''}), got ${minRows}`,
    )
  }
  return { dev, holdout }
}

/** Rows per class, in label order. */
function classCounts(d: { y: Float32Array; classes?: string[] }): number[] {
  const counts = new Array<number>(d.classes?.length ?? 0).fill(0)
  for (const c of d.y) counts[c] = (counts[c] as number) + 1
  return counts
}

/**
 * A held-out test set with each class in proportion (train_test_split(stratify=y)): ceil(test * n)
 * rows, each class's share rounded down and the rest given to the largest remainders (the first
 * class on a tie); each class's test rows are the first of a seeded permutation of its rows, or
 * its last rows without shuffling.
 */
function stratifiedSplit(
  labels: Float32Array,
  classes: number,
  split: NonNullable<ExperimentSpec['split']>,
): { dev: Uint32Array; test: Uint32Array } {
  const n = labels.length
  const rowsOf = Array.from({ length: classes }, () => [] as number[])
  for (const [i, c] of labels.entries()) rowsOf[c]?.push(i)
  const nTest = Math.ceil(split.test * n)
  const exact = rowsOf.map((r) => (r.length * nTest) / n)
  const take = exact.map(Math.floor)
  const byRemainder = exact
    .map((e, c) => ({ c, r: e - Math.floor(e) }))
    .sort((a, b) => b.r - a.r || a.c - b.c)
  for (let k = 0, left = nTest - take.reduce((a, b) => a + b, 0); left > 0; k++, left--) {
    const c = (byRemainder[k % classes] as { c: number }).c
    take[c] = (take[c] as number) + 1
  }
  const held = new Uint8Array(n)
  rowsOf.forEach((rows, c) => {
    const count = take[c] as number
    const order = split.shuffle
      ? Array.from(new Rng(split.seed, 'split', c).permutation(rows.length)).slice(0, count)
      : Array.from({ length: count }, (_, i) => rows.length - count + i)
    for (const i of order) held[rows[i] as number] = 1
  })
  const test = Uint32Array.from(Array.from({ length: n }, (_, i) => i).filter((i) => held[i]))
  const dev = Uint32Array.from(Array.from({ length: n }, (_, i) => i).filter((i) => !held[i]))
  return { dev, test }
}

/** Classification data: two classes at least, and enough rows of each for every fold. */
function checkClasses(spec: ExperimentSpec, dataset: Dataset, dev: DataSplit, source: string) {
  const classes = dataset.classes as string[]
  const column = dataset.columns.y[0] ?? 'y'
  const present = classCounts(dataset)
    .map((count, c) => ({ name: classes[c] as string, count }))
    .filter((c) => c.count > 0)
  if (present.length < 2) {
    throw new UserError(
      `${source}: dataset: column '${column}' has ${present.length === 1 ? `one class ('${present[0]?.name}')` : 'no class'} in ${dataset.n} rows, expected at least 2 to classify`,
    )
  }
  const folds = spec.cv?.folds
  if (!folds) return
  const counts = classCounts({ y: dev.y, classes })
  const fewest = counts.reduce((lo, count, c) => (count < (counts[lo] as number) ? c : lo), 0)
  if ((counts[fewest] as number) < folds) {
    const held = dev.n < dataset.n ? ` after holding out ${dataset.n - dev.n} for test` : ''
    throw new UserError(
      `${source}: cv.folds: class '${classes[fewest]}' of column '${column}' has ${counts[fewest]} row(s)${held}, expected at least ${folds} (one per stratified fold)`,
    )
  }
}

function meanSquare(y: Float32Array): number {
  let sum = 0
  for (const v of y) sum += v * v
  return y.length > 0 ? sum / y.length : 0
}

function checkShapes(s: ExperimentSpec, d: Dataset, source: string) {
  const last = s.model.layers.length - 1
  const units = s.model.layers[last]?.units
  if (d.classes) {
    const k = d.classes.length
    const column = d.columns.y[0] ?? 'y'
    if (s.loss.name === 'binary_cross_entropy' && k !== 2)
      throw new UserError(
        `${source}: loss: binary_cross_entropy takes 2 classes, column '${column}' has ${k}; use cross_entropy with ${k} units`,
      )
    if (s.loss.name === 'cross_entropy' && units !== k)
      throw new UserError(
        `${source}: model.layers[${last}].units: expected ${k} (one per class of '${column}': ${listNames(d.classes)}), got ${units}`,
      )
    return
  }
  if (units !== d.outputs) {
    throw new UserError(
      `${source}: model.layers[${last}].units: expected ${d.outputs} (the dataset's outputs), got ${units}`,
    )
  }
}

const batchOf = (batchSize: ExperimentSpec['batchSize'], rows: number) =>
  batchSize === 'full' ? rows : Math.min(batchSize, rows)

/** The rows in a batch when training on `rows` rows: 'full', or the spec's size capped at the rows. */
export function batchRows(s: ExperimentSpec, rows: number): number {
  return batchOf(s.batchSize, rows)
}

/** The epochs a trial of `stage` trains for at most: earlyStopping.maxEpochs for the early-stopping run. */
export function trialEpochs(s: ExperimentSpec, stage: Stage): number {
  return (stage === 'early-stopping' ? s.earlyStopping?.maxEpochs : undefined) ?? s.epochs
}

const epochSteps = (batchSize: ExperimentSpec['batchSize'], rows: number) =>
  Math.ceil(rows / Math.max(1, batchOf(batchSize, rows)))

/** Optimizer steps (at most: early stopping may end sooner) of one trial of `stage` on `rows` rows. */
function trialSteps(s: ExperimentSpec, stage: Stage, rows: number): number {
  return trialEpochs(s, stage) * epochSteps(s.batchSize, rows)
}

/** The rows CV and refit use out of a dataset's `rows`: what the split leaves. */
const devRows = (s: ExperimentSpec, rows: number) => (s.split ? rows - Math.ceil(s.split.test * rows) : rows)

/** A search runs when there is something to choose (a grid) or to score (CV). */
const hasSearch = (s: ExperimentSpec) => Object.keys(s.grid).length > 0 || s.cv !== null

/** The stages trained on all rows for the selected point, in order. */
function finalStages(s: ExperimentSpec): Stage[] {
  const stages: Stage[] = []
  if (s.refit) stages.push('refit')
  if (s.earlyStopping) stages.push('early-stopping')
  return stages
}

/** Grid points x folds x seeds, counted without expanding the grid. */
function searchCount(s: ExperimentSpec): number {
  if (!hasSearch(s)) return 0
  const points = Object.values(s.grid).reduce((n, values) => n * values.length, 1)
  return points * (s.cv?.folds ?? 1) * s.seeds.length
}

/** Beyond this a plan can never finish: every trial's result is held in memory and in results.json. */
export const MAX_TRIALS = 1e6

function checkTrials(s: ExperimentSpec, source: string) {
  const trials = searchCount(s) + finalStages(s).length * s.seeds.length
  if (trials > MAX_TRIALS) {
    throw new UserError(
      `${source}: ${trials.toLocaleString('en-US')} trials (grid points x folds x seeds, and the final runs) can never finish: every trial's result is held in memory; at most ${MAX_TRIALS.toLocaleString('en-US')}`,
    )
  }
}

const listNames = (names: string[]) =>
  names.length <= 6 ? names.join(', ') : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`

/** A dataset's rows and values per row when the spec alone says: built-in and inline data. */
function knownRows(d: ExperimentSpec['dataset']): { rows: number; values: number } | null {
  if ('builtin' in d) {
    const builtin = listBuiltinDatasets().find((b) => b.name === d.builtin)
    return builtin ? { rows: d.rows ?? builtin.rows, values: builtin.columns.x.length + 1 } : null
  }
  if ('inline' in d) {
    const width = (v: unknown) => (Array.isArray(v) ? v.length : 1)
    return { rows: d.inline.x.length, values: width(d.inline.x[0]) + width(d.inline.y[0]) }
  }
  return null
}

/** Typed arrays hold at most 2^32 values. */
const MAX_ARRAY = 2 ** 32

function checkMemory(rows: number, values: number, source: string) {
  const bytes = rows * values * 4
  // Training holds about four copies: the data, the rows it trains on, a fold's, the engine's.
  if (bytes * 4 <= totalmem() && rows * values < MAX_ARRAY) return
  throw new UserError(
    `${source}: dataset: ${rows.toLocaleString('en-US')} rows of ${values} float32 values take ${formatBytes(bytes)}, and training holds about 4 copies: more than fits in this machine's ${formatBytes(totalmem())} of memory`,
  )
}

/** Trials and optimizer steps (at most: early stopping may end sooner) a whole protocol takes. */
export interface PlanSize {
  trials: number
  steps: number
}

/**
 * The size of a spec's whole protocol on a dataset of `rows` rows, by arithmetic: nothing is
 * expanded or allocated, so a runaway plan is sized in microseconds. A trial's steps depend on
 * its grid point only through `epochs` and `batchSize`, so the sum over points factors.
 */
export function planSize(s: ExperimentSpec, rows: number): PlanSize {
  const dev = devRows(s, rows)
  const folds = s.cv?.folds
  const searchRows = folds ? dev - Math.floor(dev / folds) : dev
  const grid = s.grid as Record<string, unknown[] | undefined>
  const epochs = grid.epochs ?? [s.epochs]
  const sizes = (grid.batchSize ?? [s.batchSize]) as ExperimentSpec['batchSize'][]
  const search = searchCount(s)
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
  let steps =
    search === 0
      ? 0
      : (sum(epochs.map(Number)) * sum(sizes.map((b) => epochSteps(b, searchRows))) * search) /
        (epochs.length * sizes.length)
  const final = finalStages(s)
  for (const stage of final) steps += trialSteps(s, stage, dev) * s.seeds.length
  return { trials: search + final.length * s.seeds.length, steps }
}

/** Optimizer steps (at most) of one training of the spec's own values on all rows: runSingle's trial. */
export function singleSteps(s: ExperimentSpec, rows: number, stage: Exclude<Stage, 'search'>): number {
  return trialSteps(s, stage, devRows(s, rows))
}

/** What a step of this experiment asks of an engine (its base spec; grid points may vary it). */
export function workloadOf(exp: Experiment): Workload {
  return {
    batchSize: batchRows(exp.spec, exp.dev.n),
    inputs: exp.dataset.inputs,
    layers: exp.spec.model.layers,
  }
}

/** The search stage's trials: grid point x fold x seed (all rows when there is no CV). */
export function searchTrials(exp: Experiment): Trial[] {
  const { spec } = exp
  if (!hasSearch(spec)) return []
  const folds: (number | null)[] = spec.cv ? Array.from({ length: spec.cv.folds }, (_, i) => i) : [null]
  return exp.points.flatMap((p, point) =>
    folds.flatMap((fold) =>
      spec.seeds.map((seed) => ({
        id: `search/p${point}${fold === null ? '' : `/f${fold}`}/s${seed}`,
        stage: 'search' as const,
        point,
        params: p.params,
        fold,
        seed,
      })),
    ),
  )
}

/** Trials on all rows for the selected point: the refit, then the early-stopping run. */
export function finalTrials(exp: Experiment, point: number): Trial[] {
  return finalStages(exp.spec).flatMap((stage) =>
    exp.spec.seeds.map((seed) => ({
      id: `${stage}/p${point}/s${seed}`,
      stage,
      point,
      params: exp.points[point]?.params ?? {},
      fold: null,
      seed,
    })),
  )
}

/** The trials `--shard index/count` runs: every count-th of the search, or of the final runs without one. */
export function shardTrials(exp: Experiment, shard: { index: number; count: number }): Trial[] {
  const search = searchTrials(exp)
  const list = search.length > 0 ? search : finalTrials(exp, 0)
  return list.filter((_, k) => k % shard.count === shard.index)
}
