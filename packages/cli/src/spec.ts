import { createRequire } from 'node:module'
import { basename, dirname, resolve } from 'node:path'
import {
  type Experiment,
  isUserError,
  MAX_CLASSES,
  MB,
  type PlanCheck,
  parseSpec,
  prepareExperiment,
  setPath,
  specPathProblem,
  type Task,
  taskOf,
  UserError,
  unsafeKeyPath,
  unsafeKeyProblem,
} from '@dualfit/core'
import { DataError, type Labels, readTable, type TableFormat } from '@dualfit/data'
import { readJson } from './io.js'

const require = createRequire(import.meta.url)
const experiment = (name: string) => require.resolve(`@dualfit/experiments/${name}.json`)

/** The seed article's two protocols, run by `dualfit compare` without --spec. */
export const DEFAULT_SPECS = ['seed-keras', 'seed-torch'].map(experiment)
/**
 * The experiment run on `--data` without --spec: a linear model, standardized, tested on held-out
 * rows; a classification task (--task, or a --y column of text labels) runs CLASSIFY_SPEC instead.
 */
export const DATA_SPEC = experiment('linear')
/** --data's classifier: a hidden ReLU layer, then one logit per class (two classes too) under cross_entropy. */
export const CLASSIFY_SPEC = experiment('classify')

/**
 * `key=value` with a JSON value (bare strings allowed), e.g. `optimizer.lr=0.1`. The key must be a
 * spec field path (core's specPathProblem: known fields, nested as the schema nests them) and the
 * value may hold no __proto__/constructor/prototype key; a one-line UserError otherwise.
 */
export function parseSet(item: string): [string, unknown] {
  const at = item.indexOf('=')
  if (at <= 0) throw new UserError(`--set '${item}': expected key=value, e.g. optimizer.lr=0.1`)
  const key = item.slice(0, at)
  const problem = specPathProblem(key)
  if (problem) throw new UserError(`--set '${item}': ${problem}`)
  const text = item.slice(at + 1)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    value = text
  }
  const unsafe = unsafeKeyPath(value)
  if (unsafe) throw new UserError(`--set '${item}': ${unsafeKeyProblem([...key.split('.'), ...unsafe])}`)
  return [key, value]
}

/** A data file named on the command line (--data, --x, --y, --format-data, --drop-missing), and --task. */
export interface DataArgs {
  data?: string
  x?: string[]
  y?: string[]
  formatData?: string
  dropMissing?: boolean
  /** What the spec must do: checked against --spec's loss; picks --data's template without one. */
  task?: Task
}

/** --x/--y: names split on commas; `\,` is a comma inside a name (a column called `me,ters`). */
const columns = (v: string[] | undefined) =>
  (v ?? [])
    .flatMap((s) => s.split(/(?<!\\),/))
    .map((s) => s.replaceAll('\\,', ',').trim())
    .filter(Boolean)

/** The spec's dataset with the command line's data options applied; undefined when there are none. */
function datasetFrom(a: DataArgs, current: unknown): Record<string, unknown> | undefined {
  const x = columns(a.x)
  const y = columns(a.y)
  if (!a.data) {
    if (x.length > 0 || y.length > 0) throw new UserError('--x/--y: name the data file too, with --data')
    if (a.formatData === undefined && !a.dropMissing) return undefined
    if (!current || typeof current !== 'object' || !('file' in current)) {
      throw new UserError(
        `${a.dropMissing ? '--drop-missing' : '--format-data'}: the spec's dataset is not a file`,
      )
    }
    return {
      ...current,
      ...(a.formatData !== undefined ? { format: a.formatData } : {}),
      ...(a.dropMissing ? { dropMissing: true } : {}),
    }
  }
  if (a.data === '-') {
    throw new UserError(
      "--data '-': reading the data from stdin is not supported; save it to a file and name that",
    )
  }
  if (x.length === 0 || y.length === 0) {
    throw new UserError(`--data '${a.data}': name the input column(s) with --x and the target(s) with --y`)
  }
  return {
    file: a.data,
    x,
    y,
    ...(a.formatData !== undefined ? { format: a.formatData } : {}),
    dropMissing: a.dropMissing ?? false,
  }
}

export interface SpecOverrides extends DataArgs {
  /** Says on stderr which task --data's template runs when the --y column decided it. */
  note?: (line: string) => void
  seeds?: number
  set?: string[]
  /** Applied last, to derive e.g. a single-run spec for `train`. */
  patch?: (raw: Record<string, unknown>) => Record<string, unknown>
  /** The plan guard (see prepareExperiment). */
  check?: PlanCheck
}

/** A spec is a few KB; a larger file is not one (a device, a data file named by mistake). */
const SPEC_LIMIT = 64 * MB

/** The --y column of --data read as class labels (as core reads it under a classification loss). */
async function readLabels(dataset: Record<string, unknown>): Promise<Labels> {
  const file = dataset.file as string
  try {
    const t = await readTable(resolve(file), {
      ...(dataset.format !== undefined ? { format: dataset.format as TableFormat } : {}),
      x: dataset.x as string[],
      y: dataset.y as string[],
      dropMissing: dataset.dropMissing === true,
      label: file,
      labels: true,
    })
    return t.labels as Labels
  } catch (e) {
    throw e instanceof DataError ? new UserError(e.message) : e
  }
}

/** An integer target with no more distinct values than this may well be class codes: said once. */
const FEW_CODES = 20

/**
 * --data's template and, for a classifier, the classes it sorts the --y column into. Without
 * --task, one --y column of text labels (not all numbers; at most MAX_CLASSES of them, beyond which
 * it is likelier a numeric column with a stray word) means classification, said in a note; a
 * column that cannot be read as labels is left to the regression read to report.
 */
async function dataTemplate(
  dataset: Record<string, unknown>,
  o: SpecOverrides,
): Promise<{ path: string; classes: string[] | null }> {
  if (o.task === 'regression') return { path: DATA_SPEC, classes: null }
  if (o.task === 'classification')
    return { path: CLASSIFY_SPEC, classes: (await readLabels(dataset)).classes }
  const y = dataset.y as string[]
  if (y.length !== 1) return { path: DATA_SPEC, classes: null }
  let labels: Labels
  try {
    labels = await readLabels(dataset)
  } catch (e) {
    if (isUserError(e)) return { path: DATA_SPEC, classes: null }
    throw e
  }
  if (labels.kind === 'integer' && labels.classes.length <= FEW_CODES)
    o.note?.(
      `${y[0]} holds ${labels.classes.length} distinct integers: running regression on them as numbers; add --task classification if they are classes`,
    )
  if (labels.kind !== 'text' || labels.classes.length > MAX_CLASSES) return { path: DATA_SPEC, classes: null }
  o.note?.(
    `${y[0]} holds text labels (${labels.classes.length} ${labels.classes.length === 1 ? 'class' : 'classes'}): running classification (--task classification)`,
  )
  return { path: CLASSIFY_SPEC, classes: labels.classes }
}

export async function loadSpec(path: string, o: SpecOverrides = {}): Promise<Experiment> {
  // --data without --spec: the template for its task, its output layer sized to the data.
  const dataset = o.data && path === DATA_SPEC ? datasetFrom(o, undefined) : undefined
  const template = dataset ? await dataTemplate(dataset, o) : null
  const file = template?.path ?? path
  const raw = readJson(file, 'spec file', SPEC_LIMIT)
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UserError(`spec file '${file}': expected a JSON object`)
  }
  // Refused before anything copies, patches or sets a field of it.
  const unsafe = unsafeKeyPath(raw)
  if (unsafe) throw new UserError(`${file}: ${unsafeKeyProblem(unsafe)}`)
  let spec = { ...(raw as Record<string, unknown>) }
  const data = dataset ?? datasetFrom(o, spec.dataset)
  if (data) spec.dataset = data
  if (dataset && template && o.data) {
    spec.name = basename(o.data)
    const { classes } = template
    // A classifier's last layer: one logit per class. A regression template's one linear layer
    // predicts every target column.
    const layers = (spec.model as { layers: Record<string, unknown>[] }).layers
    spec.model = classes
      ? { layers: [...layers.slice(0, -1), { ...layers.at(-1), units: classes.length }] }
      : { layers: [{ units: (dataset.y as string[]).length, activation: 'linear' }] }
  }
  if (o.seeds !== undefined) spec.seeds = Array.from({ length: o.seeds }, (_, i) => i)
  // Every --set is checked before the first is applied.
  const sets = (o.set ?? []).map((item) => [item, ...parseSet(item)] as const)
  for (const [item, key, value] of sets) {
    try {
      spec = setPath(spec, key, value)
    } catch (e) {
      throw isUserError(e) ? new UserError(`--set '${item}': ${e.message}`) : e
    }
  }
  if (o.patch) spec = o.patch(spec)
  if (o.task && !template) {
    // The spec's loss sets its task: checked before its data is read under that loss.
    const task = taskOf(parseSpec(spec, file))
    if (task !== o.task)
      throw new UserError(
        `--task ${o.task}: spec '${file}' is a ${task} spec (its loss), expected a ${o.task} one`,
      )
  }
  // A file named on the command line is relative to where the user is; one in a spec, to the spec.
  return prepareExperiment(spec, file, o.data ? process.cwd() : dirname(resolve(file)), o.check)
}
