import { createRequire } from 'node:module'
import { type Experiment, prepareExperiment, setPath, UserError } from '@dualfit/core'
import { readJson } from './io.js'

const require = createRequire(import.meta.url)

/** The seed article's two protocols, run by `dualfit compare` without --spec. */
export const DEFAULT_SPECS = ['seed-keras', 'seed-torch'].map((n) =>
  require.resolve(`@dualfit/experiments/${n}.json`),
)

/** `key=value` with a JSON value (bare strings allowed), e.g. `optimizer.lr=0.1`. */
export function parseSet(item: string): [string, unknown] {
  const at = item.indexOf('=')
  if (at <= 0) throw new UserError(`--set '${item}': expected key=value, e.g. optimizer.lr=0.1`)
  const text = item.slice(at + 1)
  try {
    return [item.slice(0, at), JSON.parse(text)]
  } catch {
    return [item.slice(0, at), text]
  }
}

export interface SpecOverrides {
  seeds?: number
  set?: string[]
  /** Applied last, to derive e.g. a single-run spec for `train`. */
  patch?: (raw: Record<string, unknown>) => Record<string, unknown>
}

export function loadSpec(path: string, o: SpecOverrides = {}): Experiment {
  const raw = readJson(path, 'spec file')
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UserError(`spec file '${path}': expected a JSON object`)
  }
  let spec = { ...(raw as Record<string, unknown>) }
  if (o.seeds !== undefined) spec.seeds = Array.from({ length: o.seeds }, (_, i) => i)
  for (const item of o.set ?? []) {
    const [key, value] = parseSet(item)
    spec = setPath(spec, key, value)
  }
  if (o.patch) spec = o.patch(spec)
  return prepareExperiment(spec, path)
}
