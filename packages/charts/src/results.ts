import { type ExperimentResult, RESULTS_SCHEMA_VERSION, type TrialResult, UserError } from '@dualfit/core'

/** Results written by `toJson` spell non-finite numbers as strings; these turn them back. */
const NON_FINITE: Record<string, number> = { Infinity: Infinity, '-Infinity': -Infinity, NaN: Number.NaN }
const numberOf = (v: unknown): number =>
  typeof v === 'number'
    ? v
    : typeof v === 'string' && v in NON_FINITE
      ? (NON_FINITE[v] as number)
      : Number.NaN
const numbersOf = (v: unknown): number[] => (Array.isArray(v) ? v.map(numberOf) : [])
const nullableNumber = (v: unknown): number | null => (v === null || v === undefined ? null : numberOf(v))

function reviveTrial(t: TrialResult): TrialResult {
  return {
    ...t,
    history: {
      loss: numbersOf(t.history.loss),
      ...(t.history.valLoss ? { valLoss: numbersOf(t.history.valLoss) } : {}),
      ...(t.history.error ? { error: numbersOf(t.history.error) } : {}),
    },
    finalLoss: numberOf(t.finalLoss),
    testMse: nullableNumber(t.testMse),
    predictions: (t.predictions ?? []).map((p) => ({
      ...p,
      x: numbersOf(p.x),
      y: numbersOf(p.y),
      ...(p.exact ? { exact: numbersOf(p.exact) } : {}),
      ...(p.absError ? { absError: numbersOf(p.absError) } : {}),
    })),
    timings: {
      setupMs: numberOf(t.timings?.setupMs),
      trainMs: numberOf(t.timings?.trainMs),
      totalMs: numberOf(t.timings?.totalMs),
      usPerStep: numberOf(t.timings?.usPerStep),
      ...(t.timings?.epochMs ? { epochMs: numbersOf(t.timings.epochMs) } : {}),
      ...(t.timings && 'toQualityMs' in t.timings
        ? { toQualityMs: nullableNumber(t.timings.toQualityMs) }
        : {}),
    },
  }
}

/**
 * The numbers of a result read back from JSON: "Infinity", "-Infinity" and "NaN" strings (how
 * dualfit writes non-finite numbers) become numbers again, only in numeric fields, so that a
 * column or spec named "NaN" stays a string.
 */
export function reviveResult(r: ExperimentResult): ExperimentResult {
  return {
    ...r,
    selection: {
      ...r.selection,
      scores: r.selection.scores.map((s) => ({
        ...s,
        mean: numberOf(s.mean),
        sd: numberOf(s.sd),
        values: numbersOf(s.values),
      })),
    },
    trials: r.trials.map(reviveTrial),
    totals: {
      trials: numberOf(r.totals?.trials),
      steps: numberOf(r.totals?.steps),
      trainMs: numberOf(r.totals?.trainMs),
      wallMs: numberOf(r.totals?.wallMs),
    },
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

/** The first field of `r` that a report needs and that is missing or of the wrong kind, else null. */
function missingField(r: Record<string, unknown>): string | null {
  const spec = r.spec
  if (!isObject(spec)) return 'spec'
  if (typeof spec.name !== 'string') return 'spec.name'
  if (!isObject(spec.model) || !Array.isArray(spec.model.layers)) return 'spec.model.layers'
  if (!isObject(spec.dataset)) return 'spec.dataset'
  if (!Array.isArray(spec.seeds)) return 'spec.seeds'
  if (!isObject(r.data) || !isObject(r.data.columns) || !isObject(r.data.units)) return 'data'
  if (!isObject(r.backend) || typeof r.backend.id !== 'string' || !isObject(r.backend.engine))
    return 'backend'
  if (!isObject(r.environment)) return 'environment'
  if (!isObject(r.grid) || !Array.isArray(r.grid.points) || !Array.isArray(r.grid.keys)) return 'grid'
  if (!isObject(r.selection) || !Array.isArray(r.selection.scores)) return 'selection'
  if (!isObject(r.totals)) return 'totals'
  if (!Array.isArray(r.trials)) return 'trials'
  for (const [i, t] of r.trials.entries()) {
    if (!isObject(t) || typeof t.stage !== 'string') return `trials[${i}]`
    if (!isObject(t.history) || !Array.isArray(t.history.loss)) return `trials[${i}].history.loss`
    if (!Array.isArray(t.weights)) return `trials[${i}].weights`
    if (!Array.isArray(t.predictions)) return `trials[${i}].predictions`
  }
  return null
}

function checkVersion(v: unknown, label: string, where: string): void {
  if (v !== RESULTS_SCHEMA_VERSION) {
    const got = v === undefined ? 'none' : JSON.stringify(v)
    throw new UserError(
      `${label}: ${where}schemaVersion ${got} is not supported (this dualfit reads version ${RESULTS_SCHEMA_VERSION})`,
    )
  }
}

/**
 * The experiment results in a parsed results file: `dualfit compare` output (results.json) or a
 * single `dualfit train --format json` result. Anything else is a one-line UserError naming `label`.
 */
export function experimentsFromDocument(doc: unknown, label: string): ExperimentResult[] {
  if (!isObject(doc) || (doc.kind !== 'dualfit.compare' && doc.kind !== 'dualfit.experiment')) {
    throw new UserError(
      `${label}: not a dualfit results file (expected "kind": "dualfit.compare" or "dualfit.experiment")`,
    )
  }
  checkVersion(doc.schemaVersion, label, '')
  const list = doc.kind === 'dualfit.compare' ? doc.results : [doc]
  if (!Array.isArray(list) || list.length === 0) throw new UserError(`${label}: no experiment results in it`)
  return list.map((r, i) => {
    const where = doc.kind === 'dualfit.compare' ? `results[${i}]` : ''
    if (!isObject(r) || r.kind !== 'dualfit.experiment')
      throw new UserError(`${label}: ${where || 'the document'} is not a dualfit experiment result`)
    checkVersion(r.schemaVersion, label, where ? `${where}.` : '')
    const missing = missingField(r)
    if (missing)
      throw new UserError(`${label}: ${where ? `${where}.` : ''}${missing} is missing or malformed`)
    return reviveResult(r as unknown as ExperimentResult)
  })
}
