import { type ExperimentResult, type TrialResult, taskOf, weightsProblem } from '@dualfit/core'

/** What ran for one spec: its results, one per backend, in the order they were run. */
export interface SpecGroup {
  name: string
  specHash: string
  results: ExperimentResult[]
}

/** Results grouped by spec (hash), in order of first appearance. */
export function groupBySpec(results: ExperimentResult[]): SpecGroup[] {
  const groups = new Map<string, SpecGroup>()
  for (const r of results) {
    const key = r.specHash ?? r.spec.name
    let g = groups.get(key)
    if (!g) {
      g = { name: r.spec.name, specHash: r.specHash, results: [] }
      groups.set(key, g)
    }
    g.results.push(r)
  }
  return [...groups.values()]
}

/** Backend ids of a set of results, first appearance first: the colour order of every chart. */
export function backendsOf(results: ExperimentResult[]): string[] {
  return [...new Set(results.map((r) => r.backend.id))]
}

/**
 * A classifier's class names in label order (the results' data.classes; their indices in a file
 * without them), or null for a regression.
 */
export function classNames(r: ExperimentResult): string[] | null {
  if (taskOf(r.spec) !== 'classification') return null
  // One unit is binary_cross_entropy's logit: two classes.
  const units = r.spec.model.layers.at(-1)?.units ?? 1
  return r.data.classes ?? Array.from({ length: Math.max(units, 2) }, (_, i) => String(i))
}

/** True when a classifier's last layer is linear: its outputs are logits, not probabilities. */
export const outputsLogits = (r: ExperimentResult) => r.spec.model.layers.at(-1)?.activation === 'linear'

/**
 * The final model's runs, one per seed: the refit, else the early-stopping run, else (no refit,
 * no early stopping) the selected grid point's runs on all rows, else its first fold's.
 */
export function finalRuns(r: ExperimentResult): TrialResult[] {
  const refit = r.trials.filter((t) => t.stage === 'refit')
  if (refit.length > 0) return refit
  const es = r.trials.filter((t) => t.stage === 'early-stopping')
  if (es.length > 0) return es
  const selected = r.trials.filter((t) => t.stage === 'search' && t.point === r.selection.selected)
  const allRows = selected.filter((t) => t.fold === null)
  if (allRows.length > 0) return allRows
  const firstFold = Math.min(...selected.map((t) => t.fold ?? 0))
  return selected.filter((t) => t.fold === firstFold)
}

/** The run whose weights a report shows and exports: the final model of the spec's first seed. */
export function finalRun(r: ExperimentResult): TrialResult | undefined {
  return finalRuns(r)[0]
}

/** The early-stopping run of a seed, when the spec has one. */
export function earlyStoppingRun(r: ExperimentResult, seed: number): TrialResult | undefined {
  return r.trials.find((t) => t.stage === 'early-stopping' && t.seed === seed)
}

/** True when the final run holds a model that can be evaluated (right shapes, weights float32 holds). */
export function usableWeights(r: ExperimentResult, t: TrialResult | undefined): t is TrialResult {
  if (!t || t.diverged || t.weights.length !== r.spec.model.layers.length) return false
  return (
    t.weights.every(
      (w) =>
        w.kernel.length === w.inputs * w.units &&
        w.bias.length === w.units &&
        [...w.kernel, ...w.bias].every((v) => typeof v === 'number'),
    ) && weightsProblem(t.weights) === null
  )
}

/** A name that is safe as a file name on every platform: letters, digits, `.`, `_` and `-`. */
export function slug(name: string, fallback = 'spec'): string {
  const s = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-*\.-*/g, '.')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 60)
    .replace(/[-.]+$/g, '')
  return s || fallback
}

/** Unique slugs for a list of names: a repeated one gets -2, -3, ... */
export function uniqueSlugs(names: string[], fallback = 'spec'): string[] {
  const used = new Set<string>()
  return names.map((n) => {
    const base = slug(n, fallback)
    let s = base
    for (let k = 2; used.has(s.toLowerCase()); k++) s = `${base}-${k}`
    used.add(s.toLowerCase())
    return s
  })
}
