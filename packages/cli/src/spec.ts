import { createRequire } from 'node:module'
import { basename, dirname, resolve } from 'node:path'
import {
  type Experiment,
  isUserError,
  MB,
  type PlanCheck,
  prepareExperiment,
  setPath,
  specPathProblem,
  UserError,
  unsafeKeyPath,
  unsafeKeyProblem,
} from '@dualfit/core'
import { readJson } from './io.js'

const require = createRequire(import.meta.url)
const experiment = (name: string) => require.resolve(`@dualfit/experiments/${name}.json`)

/** The seed article's two protocols, run by `dualfit compare` without --spec. */
export const DEFAULT_SPECS = ['seed-keras', 'seed-torch'].map(experiment)
/** The experiment run on `--data` without --spec: a linear model, standardized, tested on held-out rows. */
export const DATA_SPEC = experiment('linear')

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

/** A data file named on the command line (--data, --x, --y, --format-data, --drop-missing). */
export interface DataArgs {
  data?: string
  x?: string[]
  y?: string[]
  formatData?: string
  dropMissing?: boolean
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
  seeds?: number
  set?: string[]
  /** Applied last, to derive e.g. a single-run spec for `train`. */
  patch?: (raw: Record<string, unknown>) => Record<string, unknown>
  /** The plan guard (see prepareExperiment). */
  check?: PlanCheck
}

/** A spec is a few KB; a larger file is not one (a device, a data file named by mistake). */
const SPEC_LIMIT = 64 * MB

export async function loadSpec(path: string, o: SpecOverrides = {}): Promise<Experiment> {
  const raw = readJson(path, 'spec file', SPEC_LIMIT)
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UserError(`spec file '${path}': expected a JSON object`)
  }
  // Refused before anything copies, patches or sets a field of it.
  const unsafe = unsafeKeyPath(raw)
  if (unsafe) throw new UserError(`${path}: ${unsafeKeyProblem(unsafe)}`)
  let spec = { ...(raw as Record<string, unknown>) }
  const dataset = datasetFrom(o, spec.dataset)
  if (dataset) spec.dataset = dataset
  if (dataset && o.data && path === DATA_SPEC) {
    // The template's one linear layer predicts every target column.
    spec.name = basename(o.data)
    spec.model = { layers: [{ units: (dataset.y as string[]).length, activation: 'linear' }] }
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
  // A file named on the command line is relative to where the user is; one in a spec, to the spec.
  return prepareExperiment(spec, path, o.data ? process.cwd() : dirname(resolve(path)), o.check)
}
