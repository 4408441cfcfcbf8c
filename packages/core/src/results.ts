import { z } from 'zod'
import type { EngineInfo, TrainSettings } from './backend.js'
import type { DataInfo } from './datasets.js'
import { UserError } from './errors.js'
import { ACTIVATIONS, describeValue, type ExperimentSpec, formatPath, issueLines } from './spec.js'

export const RESULTS_SCHEMA_VERSION = 2

export type Stage = 'search' | 'refit' | 'early-stopping'
export type Params = Record<string, unknown>

/** A grid point for reading, e.g. 'lr 0.1, batchSize 32' (optimizer.* without its prefix); '' for none. */
export function paramsLabel(p: Params): string {
  const short = (k: string) => k.replace(/^optimizer\./, '')
  return Object.entries(p)
    .map(([k, v]) => `${short(k)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ')
}

/** One independent, serializable unit of work: spec + grid point + fold + seed. */
export interface Trial {
  /** e.g. 'search/p2/f1/s0', 'refit/p2/s0'. */
  id: string
  stage: Stage
  /** Index into the grid's points. */
  point: number
  params: Params
  /** Fold index in k-fold CV, or null when training on all rows. */
  fold: number | null
  seed: number
}

export interface WeightsJson {
  inputs: number
  units: number
  kernel: number[]
  bias: number[]
}

export interface PredictionJson {
  x: number[]
  y: number[]
  /** The dataset's exact function, when it has one. */
  exact?: number[]
  absError?: number[]
}

export interface TrialResult extends Trial {
  epochs: number
  epochsRun: number
  /** Epoch (from 0) at which early stopping or divergence ended the run, else null. */
  stoppedEpoch: number | null
  bestEpoch: number | null
  diverged: boolean
  steps: number
  history: {
    loss: number[]
    valLoss?: number[]
    /** Refit and early-stopping runs on data with an exact function: max |error| at the report inputs per epoch. */
    error?: number[]
  }
  finalLoss: number
  /**
   * MSE, in the data's units, on rows the trial did not train on: its CV fold (search trials) or
   * the spec's held-out test set (refit and early-stopping runs); null when there are none.
   */
  testMse: number | null
  weights: WeightsJson[]
  predictions: PredictionJson[]
  /**
   * With `history.error`: the first epoch from which the error stays within report.tolerance to the
   * end, and the optimizer steps until then (the ms are in timings); null when it never settles.
   */
  toQuality?: { epochs: number; steps: number } | null
  timings: {
    setupMs: number
    trainMs: number
    totalMs: number
    usPerStep: number
    /** With `history.error`: training ms from the first step to each epoch's end. */
    epochMs?: number[]
    /** Training ms until toQuality's epoch ended; null when it never settled. */
    toQualityMs?: number | null
  }
}

export interface PointScore {
  point: number
  params: Params
  /** Mean over folds and seeds; Infinity when any run diverged. */
  mean: number
  sd: number
  /** Standard error of the mean, sd / sqrt(n). */
  se: number
  /**
   * Within one standard error of the best point's mean (for CV MSE, or within report.tolerance
   * squared): the data, or the spec's tolerance, cannot tell them apart.
   */
  tie: boolean
  values: number[]
}

export interface ExperimentResult {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION
  kind: 'dualfit.experiment'
  spec: ExperimentSpec
  /** sha256 of the canonical JSON of the validated spec (defaults filled in). */
  specHash: string
  /** The rows the experiment ran on (after dropping missing values); `testRows` of them held out. */
  data: DataInfo
  /** `settings`: what the backend applied to the final model's job (absent in older files). */
  backend: { id: string; version: string; engine: EngineInfo; settings?: TrainSettings | null }
  environment: {
    node: string
    platform: string
    arch: string
    cpu: string
    cpus: number
    /** Trials run at once (worker threads); per-step timings share the CPUs when > 1. */
    workers: number
    packages: Record<string, string>
  }
  grid: { keys: string[]; points: Params[] }
  selection: {
    score: ExperimentSpec['selection']['score']
    rule: string
    scores: PointScore[]
    selected: number
  }
  trials: TrialResult[]
  totals: { trials: number; steps: number; trainMs: number; wallMs: number }
}

/** The model a trial ended with, as plain data any backend or the ONNX exporter takes. */
export function trainedModelOf(result: Pick<ExperimentResult, 'spec'>, trial: Pick<TrialResult, 'weights'>) {
  const first = trial.weights[0]
  return {
    inputs: first?.inputs ?? 0,
    layers: result.spec.model.layers,
    weights: trial.weights.map((w) => ({
      inputs: w.inputs,
      units: w.units,
      kernel: Float32Array.from(w.kernel),
      bias: Float32Array.from(w.bias),
    })),
  }
}

/** The results schema versions this dualfit reads (see docs/results.md). */
export const READABLE_RESULTS_VERSIONS: readonly number[] = [RESULTS_SCHEMA_VERSION]

const NON_FINITE: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
}

/** A number as results.json writes it: JSON has no NaN or Infinity, so those are strings there. */
const resultNumber = z.unknown().transform((v, ctx) => {
  if (typeof v === 'number') return v
  if (typeof v === 'string' && Object.hasOwn(NON_FINITE, v)) return NON_FINITE[v] as number
  ctx.addIssue({
    code: 'custom',
    message: `expected a number (or "NaN", "Infinity", "-Infinity"), got ${describeValue(v)}`,
  })
  return z.NEVER
})

const count = z.number().int().positive()

/** What a reader of a trial relies on (results files and the run journal alike). */
const trialDoc = z.looseObject({
  id: z.string().min(1),
  stage: z.enum(['search', 'refit', 'early-stopping']),
  diverged: z.boolean(),
  weights: z.array(
    z.looseObject({
      inputs: count,
      units: count,
      kernel: z.array(resultNumber),
      bias: z.array(resultNumber),
    }),
  ),
})

type Layer = { units: number }
type Issue = { code: 'custom'; path: (string | number)[]; message: string }

/**
 * Weights that fit the spec's layers and, unless the trial diverged, are finite: a model the
 * harness would never have written is a damaged or edited file.
 */
function trialProblems(t: z.infer<typeof trialDoc>, layers: Layer[], at: (string | number)[]): Issue[] {
  const issue = (path: (string | number)[], message: string): Issue => ({
    code: 'custom',
    path: [...at, ...path],
    message,
  })
  if (t.weights.length !== layers.length)
    return [
      issue(
        ['weights'],
        `expected weights for ${layers.length} layer(s) (spec.model.layers), got ${t.weights.length}`,
      ),
    ]
  const out: Issue[] = []
  let width = t.weights[0]?.inputs ?? 0
  t.weights.forEach((w, j) => {
    const units = layers[j]?.units ?? 0
    if (
      w.inputs !== width ||
      w.units !== units ||
      w.kernel.length !== width * units ||
      w.bias.length !== units
    )
      out.push(
        issue(
          ['weights', j],
          `expected a [${width}, ${units}] kernel (${width * units} values) and ${units} bias value(s), got [${w.inputs}, ${w.units}] (${w.kernel.length} values) and ${w.bias.length}`,
        ),
      )
    else if (!t.diverged) {
      const k = w.kernel.findIndex((v) => !Number.isFinite(v))
      const b = w.bias.findIndex((v) => !Number.isFinite(v))
      if (k >= 0)
        out.push(issue(['weights', j, 'kernel', k], 'expected a finite number (the trial did not diverge)'))
      else if (b >= 0)
        out.push(issue(['weights', j, 'bias', b], 'expected a finite number (the trial did not diverge)'))
    }
    width = units
  })
  return out
}

/** What a reader of results relies on; the rest of each object passes through as written. */
const experimentDoc = z
  .looseObject({
    kind: z.literal('dualfit.experiment'),
    spec: z.looseObject({
      name: z.string(),
      model: z.looseObject({
        layers: z.array(z.looseObject({ units: count, activation: z.enum(ACTIVATIONS) })).min(1),
      }),
    }),
    backend: z.looseObject({ id: z.string().min(1) }),
    trials: z.array(trialDoc),
  })
  .superRefine((r, ctx) => {
    r.trials.forEach((t, i) => {
      for (const issue of trialProblems(t, r.spec.model.layers, ['trials', i])) ctx.addIssue(issue)
    })
  })

const numbers = z.array(resultNumber)
const whole = z.number().int().nonnegative()

/**
 * A whole trial result, as the run journal holds it: everything the harness reads back to
 * select, refit and report, with finite scores where the trial did not diverge.
 */
const trialResultDoc = trialDoc
  .extend({
    point: whole,
    params: z.record(z.string(), z.unknown()),
    fold: whole.nullable(),
    seed: z.number().int(),
    epochs: whole,
    epochsRun: whole,
    stoppedEpoch: whole.nullable(),
    bestEpoch: whole.nullable(),
    steps: whole,
    history: z.looseObject({ loss: numbers, valLoss: numbers.optional(), error: numbers.optional() }),
    finalLoss: resultNumber,
    testMse: resultNumber.nullable(),
    predictions: z.array(
      z.looseObject({ x: numbers, y: numbers, exact: numbers.optional(), absError: numbers.optional() }),
    ),
    toQuality: z.object({ epochs: whole, steps: whole }).nullable().optional(),
    timings: z.looseObject({
      setupMs: resultNumber,
      trainMs: resultNumber,
      totalMs: resultNumber,
      usPerStep: resultNumber,
      epochMs: numbers.optional(),
      toQualityMs: resultNumber.nullable().optional(),
    }),
  })
  .superRefine((t, ctx) => {
    if (t.diverged) return
    for (const key of ['finalLoss', 'testMse'] as const) {
      const v = t[key]
      if (v !== null && !(Number.isFinite(v) && v >= 0))
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'expected a finite number >= 0 (the trial did not diverge)',
        })
    }
  })

/**
 * One trial result read back from a file (the run journal), checked with the same rules as a
 * results file's trials plus every field the harness reads; non-finite numbers spelled as strings
 * come back as numbers. A UserError of one line, `label: path: expected ..., got ...`, otherwise.
 */
export function parseTrialResult(value: unknown, layers: Layer[], label: string): TrialResult {
  const r = trialResultDoc.safeParse(value)
  const issues = r.success ? trialProblems(r.data, layers, []) : r.error.issues
  if (!r.success || issues.length > 0) {
    const lines = issueLines(issues as z.core.$ZodIssue[], value, label)
    const more = lines.length > 1 ? ` (and ${lines.length - 1} more problem(s))` : ''
    throw new UserError(`${lines[0]}${more}`)
  }
  return inOrderOf(r.data, value) as TrialResult
}

/**
 * `parsed` with the keys of every object in `original`'s order: zod puts a schema's keys first,
 * and a trial read back must serialize exactly as the one that was written.
 */
function inOrderOf(parsed: unknown, original: unknown): unknown {
  if (Array.isArray(parsed) && Array.isArray(original)) return parsed.map((v, i) => inOrderOf(v, original[i]))
  if (!isObject(parsed) || !isObject(original)) return parsed
  return Object.fromEntries(
    Object.keys(original)
      .filter((k) => Object.hasOwn(parsed, k))
      .map((k) => [k, inOrderOf(parsed[k], original[k])]),
  )
}

const settingsDoc = z.looseObject({
  initializer: z.string(),
  order: z.string(),
  batchSize: count,
  epsilon: z
    .object({ value: z.number(), placement: z.enum(['sqrt(v_hat) + eps', 'sqrt(v) + eps_hat']) })
    .nullable(),
  lossReduction: z.enum(['mean', 'sum']),
})

/** A backend's TrainSettings read back from a file (the run journal); a one-line UserError otherwise. */
export function parseSettings(value: unknown, label: string): TrainSettings {
  const r = settingsDoc.safeParse(value)
  if (!r.success) {
    const lines = issueLines(r.error.issues, value, label)
    const more = lines.length > 1 ? ` (and ${lines.length - 1} more problem(s))` : ''
    throw new UserError(`${lines[0]}${more}`)
  }
  return r.data as TrainSettings
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

function versionProblem(v: unknown, label: string, at: (string | number)[]): string | null {
  if (typeof v === 'number' && READABLE_RESULTS_VERSIONS.includes(v)) return null
  const reads = `this dualfit reads version ${READABLE_RESULTS_VERSIONS.join(', ')}`
  const where = `${label}: ${formatPath([...at, 'schemaVersion'])}`
  return v === undefined
    ? `${where}: missing (${reads})`
    : `${where}: ${describeValue(v)} is not supported (${reads})`
}

/**
 * The experiment results in a parsed results document: `dualfit compare` output (results.json),
 * one `dualfit train --format json` result, or a list of them. Checks the schema version first,
 * then what readers rely on (spec name and layers, backend id, trials with weights that fit the
 * layers); non-finite weights ("NaN", "Infinity") come back as numbers. Anything else is a
 * UserError of one line: `label: json.path: expected ..., got ...`.
 */
export function parseResults(doc: unknown, label: string): ExperimentResult[] {
  let items: { value: unknown; at: (string | number)[] }[]
  if (Array.isArray(doc)) items = doc.map((value, i) => ({ value, at: [i] }))
  else if (isObject(doc) && doc.kind === 'dualfit.compare') {
    const v = versionProblem(doc.schemaVersion, label, [])
    if (v) throw new UserError(v)
    if (!Array.isArray(doc.results))
      throw new UserError(`${label}: results: expected an array, got ${describeValue(doc.results)}`)
    items = doc.results.map((value, i) => ({ value, at: ['results', i] }))
  } else if (isObject(doc) && doc.kind === 'dualfit.experiment') items = [{ value: doc, at: [] }]
  else {
    throw new UserError(
      `${label}: not a dualfit results file (expected "kind": "dualfit.compare" or "dualfit.experiment" at the top)`,
    )
  }
  if (items.length === 0) throw new UserError(`${label}: no dualfit experiment results in it`)
  const out: ExperimentResult[] = []
  for (const { value, at } of items) {
    if (isObject(value)) {
      const v = versionProblem(value.schemaVersion, label, at)
      if (v) throw new UserError(v)
    }
    const r = experimentDoc.safeParse(value)
    if (!r.success) {
      // Paths from the top of the file, so that the message points into it.
      const issues = r.error.issues.map((i) => ({ ...i, path: [...at, ...i.path] }))
      const lines = issueLines(issues, doc, label)
      const more = lines.length > 1 ? ` (and ${lines.length - 1} more problem(s))` : ''
      throw new UserError(`${lines[0]}${more}`)
    }
    out.push(r.data as unknown as ExperimentResult)
  }
  return out
}
