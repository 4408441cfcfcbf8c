/**
 * The results codec: how results (results.json, `train --format json`, the run journal's records)
 * are written, and read back checked and revived. JSON has no NaN or Infinity: the writer spells
 * them as strings, and the reader turns them back into numbers only in numeric fields, so that a
 * spec or column named "NaN" stays a string.
 */
import { z } from 'zod'
import type { TrainSettings } from './backend.js'
import { UserError } from './errors.js'
import { type ExperimentResult, RESULTS_SCHEMA_VERSION, type TrialResult } from './results.js'
import { ACTIVATIONS, describeValue, formatPath, isObject, issueLines } from './spec.js'

/** The results schema versions this dualfit reads (see docs/results.md). */
export const READABLE_RESULTS_VERSIONS: readonly number[] = [RESULTS_SCHEMA_VERSION]

const spellNonFinite = (_k: string, v: unknown) =>
  typeof v === 'number' && !Number.isFinite(v) ? String(v) : v

/** A file's JSON: 2-space indent, a trailing newline, non-finite numbers spelled as strings. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, spellNonFinite, 2)}\n`
}

/** One record on one line (the run journal's), non-finite numbers spelled as strings. */
export function toJsonLine(value: unknown): string {
  return `${JSON.stringify(value, spellNonFinite)}\n`
}

const NON_FINITE: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
}

/** A number as toJson writes it. */
const resultNumber = z.unknown().transform((v, ctx) => {
  if (typeof v === 'number') return v
  if (typeof v === 'string' && Object.hasOwn(NON_FINITE, v)) return NON_FINITE[v] as number
  ctx.addIssue({
    code: 'custom',
    message: `expected a number (or "NaN", "Infinity", "-Infinity"), got ${describeValue(v)}`,
  })
  return z.NEVER
})

const numbers = z.array(resultNumber)
const count = z.number().int().positive()
const whole = z.number().int().nonnegative()

const classMetrics = z.looseObject({ accuracy: resultNumber, logLoss: resultNumber })

/** What every reader of a trial relies on (results files and the run journal alike). */
const trialDoc = z.looseObject({
  id: z.string().min(1),
  stage: z.enum(['search', 'refit', 'early-stopping']),
  diverged: z.boolean(),
  weights: z.array(
    z.looseObject({
      inputs: count,
      units: count,
      kernel: numbers,
      bias: numbers,
    }),
  ),
})

/** The rest of a trial: all of it in the journal and for a report; export revives what is there. */
const trialFields = z.object({
  point: whole,
  params: z.record(z.string(), z.unknown()),
  fold: whole.nullable(),
  seed: z.number().int(),
  epochs: whole,
  epochsRun: whole,
  stoppedEpoch: whole.nullable(),
  bestEpoch: whole.nullable(),
  steps: whole,
  history: z.looseObject({
    loss: numbers,
    valLoss: numbers.optional(),
    error: numbers.optional(),
    accuracy: numbers.optional(),
    valAccuracy: numbers.optional(),
    lr: numbers.optional(),
  }),
  finalLoss: resultNumber,
  testMse: resultNumber.nullable(),
  testMseByOutput: numbers.nullable().optional(),
  classification: z
    .looseObject({
      train: classMetrics,
      test: classMetrics.nullable(),
      confusion: z.looseObject({ on: z.enum(['test', 'train']), counts: z.array(z.array(whole)) }),
    })
    .optional(),
  predictions: z.array(
    z.looseObject({
      x: numbers,
      y: numbers,
      label: z.string().optional(),
      exact: numbers.optional(),
      absError: numbers.optional(),
    }),
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

/** Scores a trial that did not diverge cannot have. */
function finiteScores(
  t: { diverged: boolean; finalLoss?: number; testMse?: number | null },
  ctx: z.RefinementCtx,
): void {
  if (t.diverged) return
  for (const key of ['finalLoss', 'testMse'] as const) {
    const v = t[key]
    if (v !== undefined && v !== null && !(Number.isFinite(v) && v >= 0))
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: 'expected a finite number >= 0 (the trial did not diverge)',
      })
  }
}

const fullTrialDoc = trialDoc.extend(trialFields.shape).superRefine(finiteScores)
const partialTrialDoc = trialDoc.extend(trialFields.partial().shape).superRefine(finiteScores)

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

const specDoc = z.looseObject({
  name: z.string(),
  model: z.looseObject({
    layers: z.array(z.looseObject({ units: count, activation: z.enum(ACTIVATIONS) })).min(1),
  }),
})

const selectionDoc = z
  .looseObject({
    scores: z.array(
      z.looseObject({
        point: whole,
        mean: resultNumber,
        sd: resultNumber,
        se: resultNumber.optional(),
        values: numbers,
      }),
    ),
    selected: whole,
  })
  // `train` selects nothing: no scores, and the spec's own point 0.
  .refine((s) => s.selected < Math.max(1, s.scores.length), {
    path: ['selected'],
    message: 'expected the index of one of selection.scores',
  })

const totalsDoc = z.looseObject({ trials: whole, steps: whole, trainMs: resultNumber, wallMs: resultNumber })

/** What export relies on; the numbers of selection, totals and trials are revived where present. */
const exportDoc = z.looseObject({
  kind: z.literal('dualfit.experiment'),
  spec: specDoc,
  backend: z.looseObject({ id: z.string().min(1) }),
  selection: selectionDoc.optional(),
  trials: z.array(partialTrialDoc),
  totals: totalsDoc.optional(),
})

const axes = z.looseObject({ x: z.array(z.string()), y: z.array(z.string()) })

/** What the report's tables, charts and page read besides. */
const reportDoc = exportDoc.extend({
  spec: specDoc.extend({ dataset: z.looseObject({}), seeds: z.array(z.number().int()).min(1) }),
  data: z.looseObject({ columns: axes, units: axes }),
  backend: z.looseObject({ id: z.string().min(1), engine: z.looseObject({}) }),
  environment: z.looseObject({}),
  grid: z.looseObject({ keys: z.array(z.string()), points: z.array(z.record(z.string(), z.unknown())) }),
  selection: selectionDoc,
  trials: z.array(fullTrialDoc),
  totals: totalsDoc,
})

function layersFit(
  r: { spec: { model: { layers: Layer[] } }; trials: z.infer<typeof trialDoc>[] },
  ctx: z.RefinementCtx,
): void {
  r.trials.forEach((t, i) => {
    for (const issue of trialProblems(t, r.spec.model.layers, ['trials', i])) ctx.addIssue(issue)
  })
}

const experimentDocs = { export: exportDoc.superRefine(layersFit), report: reportDoc.superRefine(layersFit) }

/** The first of `issues` as one UserError line, saying how many more there are. */
function refusal(issues: readonly z.core.$ZodIssue[], input: unknown, label: string): UserError {
  const lines = issueLines(issues, input, label)
  const more = lines.length > 1 ? ` (and ${lines.length - 1} more problem(s))` : ''
  return new UserError(`${lines[0]}${more}`)
}

/**
 * One trial result read back from a file (the run journal), checked with the same rules as a
 * results file's trials plus every field the harness reads; non-finite numbers spelled as strings
 * come back as numbers. A UserError of one line, `label: path: expected ..., got ...`, otherwise.
 */
export function parseTrialResult(value: unknown, layers: Layer[], label: string): TrialResult {
  const r = fullTrialDoc.safeParse(value)
  const issues = r.success ? trialProblems(r.data, layers, []) : r.error.issues
  if (!r.success || issues.length > 0) throw refusal(issues as z.core.$ZodIssue[], value, label)
  return inOrderOf(r.data, value) as TrialResult
}

/**
 * `parsed` with the keys of every object in `original`'s order: zod puts a schema's keys first,
 * and what is read back must serialize exactly as what was written.
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
  probabilities: z
    .object({
      activation: z.enum(['softmax', 'sigmoid']),
      at: z.enum(['loss', 'model']),
      clip: z.tuple([z.number(), z.number()]).nullable(),
    })
    .nullable()
    .optional(),
})

/** A backend's TrainSettings read back from a file (the run journal); a one-line UserError otherwise. */
export function parseSettings(value: unknown, label: string): TrainSettings {
  const r = settingsDoc.safeParse(value)
  if (!r.success) throw refusal(r.error.issues, value, label)
  return r.data as TrainSettings
}

function versionProblem(v: unknown, label: string, at: (string | number)[]): string | null {
  if (typeof v === 'number' && READABLE_RESULTS_VERSIONS.includes(v)) return null
  const reads = `this dualfit reads version ${READABLE_RESULTS_VERSIONS.join(', ')}`
  const where = `${label}: ${formatPath([...at, 'schemaVersion'])}`
  return v === undefined
    ? `${where}: missing (${reads})`
    : `${where}: ${describeValue(v)} is not supported (${reads})`
}

/**
 * Who reads: 'export' (the default) relies on the spec's name and layers, the backend id and
 * trials with weights that fit the layers; 'report' also on the spec's dataset and seeds, data
 * columns and units, backend engine, environment, grid, selection, totals and whole trials.
 */
export interface ReadOptions {
  for?: keyof typeof experimentDocs
}

/** Where the experiment results in a parsed results document stand, from the top of the file. */
function itemsOf(doc: unknown, label: string): { value: unknown; at: (string | number)[] }[] {
  if (Array.isArray(doc)) return doc.map((value, i) => ({ value, at: [i] }))
  if (isObject(doc) && doc.kind === 'dualfit.compare') {
    const v = versionProblem(doc.schemaVersion, label, [])
    if (v) throw new UserError(v)
    if (!Array.isArray(doc.results))
      throw new UserError(`${label}: results: expected an array, got ${describeValue(doc.results)}`)
    return doc.results.map((value, i) => ({ value, at: ['results', i] }))
  }
  if (isObject(doc) && doc.kind === 'dualfit.experiment') return [{ value: doc, at: [] }]
  throw new UserError(
    `${label}: not a dualfit results file (expected "kind": "dualfit.compare" or "dualfit.experiment" at the top)`,
  )
}

/**
 * The experiment results in a parsed results document: `dualfit compare` output (results.json),
 * one `dualfit train --format json` result, or a list of them. Checks the schema version first,
 * then what the reader (`options.for`) relies on; every numeric field present comes back a number
 * ("NaN", "Infinity" revived) and every object keeps the file's key order, so that toJson writes
 * the same bytes again. Anything else is a UserError of one line: `label: json.path: expected ...`.
 */
export function parseResults(doc: unknown, label: string, options: ReadOptions = {}): ExperimentResult[] {
  const items = itemsOf(doc, label)
  if (items.length === 0) throw new UserError(`${label}: no dualfit experiment results in it`)
  const schema = experimentDocs[options.for ?? 'export']
  return items.map(({ value, at }) => {
    if (isObject(value)) {
      const v = versionProblem(value.schemaVersion, label, at)
      if (v) throw new UserError(v)
    }
    const r = schema.safeParse(value)
    // Paths from the top of the file, so that the message points into it.
    if (!r.success)
      throw refusal(
        r.error.issues.map((i) => ({ ...i, path: [...at, ...i.path] })),
        doc,
        label,
      )
    return inOrderOf(r.data, value) as ExperimentResult
  })
}
