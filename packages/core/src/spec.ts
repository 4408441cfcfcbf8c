import { TABLE_FORMATS } from '@dualfit/data'
import { z } from 'zod'
import { UserError } from './errors.js'

export const ACTIVATIONS = ['linear', 'relu', 'tanh', 'sigmoid'] as const
export type Activation = (typeof ACTIVATIONS)[number]
export const LOSSES = ['mse', 'mae', 'huber'] as const
export type LossName = (typeof LOSSES)[number]
export const OPTIMIZERS = ['adam', 'sgd'] as const
export const INITS = ['keras', 'torch', 'tfjs', 'framework'] as const
export type InitConvention = (typeof INITS)[number]

const positive = z.number().positive()
const probability = z.number().min(0).lt(1)

const layer = z.strictObject({
  units: z.number().int().positive(),
  activation: z.enum(ACTIVATIONS).default('linear'),
})
export type LayerSpec = z.output<typeof layer>

const lossObject = z.strictObject({
  name: z.enum(LOSSES),
  /** Huber's threshold between the quadratic and linear parts. */
  delta: positive.default(1),
})
const loss = z.union([z.enum(LOSSES).transform((name) => ({ name, delta: 1 })), lossObject])
export type LossSpec = z.output<typeof lossObject>

const optimizer = z.strictObject({
  name: z.enum(OPTIMIZERS).default('adam'),
  lr: positive,
  beta1: probability.default(0.9),
  beta2: probability.default(0.999),
  /** Omitted: 1e-8 under the torch convention, 1e-7 under keras/tfjs, the engine's own under framework. */
  eps: positive.optional(),
  momentum: probability.default(0),
})
export interface OptimizerSpec extends Omit<Required<z.output<typeof optimizer>>, 'eps'> {
  /** null: the framework's own default (only under init 'framework'). */
  eps: number | null
}

const columnList = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((v) => (Array.isArray(v) ? v : [v]))

const dataset = z.union([
  z.strictObject({
    builtin: z.string().min(1),
    /** Rows to generate (noisy-linear, sin). */
    rows: z.number().int().min(2).optional(),
    /** Seed of the generated data, independent of the training seeds. */
    seed: z.number().int().min(0).optional(),
  }),
  z.strictObject({
    inline: z.strictObject({
      x: z.array(z.union([z.number(), z.array(z.number()).min(1)])).min(2),
      y: z.array(z.union([z.number(), z.array(z.number()).min(1)])).min(2),
    }),
  }),
  z.strictObject({
    /** CSV, TSV, JSON (array of objects) or JSONL; relative to the spec file's folder. */
    file: z.string().min(1),
    format: z.enum(TABLE_FORMATS).optional(),
    x: columnList,
    y: columnList,
    /** Drop rows with an empty x or y cell instead of failing on the first one. */
    dropMissing: z.boolean().default(false),
  }),
])
export type DatasetSpec = z.output<typeof dataset>

const earlyStopping = z.strictObject({
  monitor: z.enum(['loss', 'val_loss']).default('loss'),
  patience: z.number().int().min(0),
  minDelta: z.number().min(0).default(0),
  /** Keras: wait is only reset by epochs that also beat the baseline. */
  baseline: z.number().nullable().default(null),
  restoreBestWeights: z.boolean().default(false),
  /** Epochs (from 0) before this one are not monitored. */
  startFromEpoch: z.number().int().min(0).default(0),
  /** Upper bound on epochs for the early-stopping run; defaults to the spec's epochs. */
  maxEpochs: z.number().int().positive().optional(),
  /** With monitor val_loss: the last fraction of the rows is held out (Keras validation_split). */
  validationSplit: z.number().gt(0).lt(1).optional(),
})
export type EarlyStoppingSpec = z.output<typeof earlyStopping>

const gridValue = z.union([
  z.number(),
  z.string(),
  z.boolean(),
  z.null(),
  z.record(z.string(), z.unknown()),
  z.array(z.unknown()),
])

export const specSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().default(''),
    dataset,
    model: z.strictObject({ layers: z.array(layer).min(1) }),
    loss: loss.default({ name: 'mse', delta: 1 }),
    optimizer,
    epochs: z.number().int().positive(),
    batchSize: z.union([z.number().int().positive(), z.literal('full')]).default(32),
    /** Reshuffle the visiting order every epoch (seeded); false keeps row order. */
    shuffle: z.boolean().default(true),
    init: z.enum(INITS).default('keras'),
    seeds: z.array(z.number().int().min(0)).min(1).default([0]),
    /**
     * Scale columns to zero mean and unit variance, fitted on each training part only (per CV
     * fold, per refit). Predictions, errors and exported models stay in the data's own units.
     */
    standardize: z
      .strictObject({ x: z.boolean().default(false), y: z.boolean().default(false) })
      .default({ x: false, y: false }),
    /** Hold out a test set before anything else; CV and refit use the rest. */
    split: z
      .strictObject({
        test: z.number().gt(0).lt(1),
        shuffle: z.boolean().default(true),
        /** The split's own seed, so every training seed is tested on the same rows. */
        seed: z.number().int().min(0).default(0),
      })
      .nullable()
      .default(null),
    /** Spec paths (dot-separated) to the values to try, e.g. {"optimizer.lr": [0.1, 0.01]}. */
    grid: z.record(z.string().min(1), z.array(gridValue).min(1)).default({}),
    cv: z
      .strictObject({ folds: z.number().int().min(2), shuffle: z.boolean().default(false) })
      .nullable()
      .default(null),
    selection: z
      .strictObject({
        /** cv_mse: mean held-out MSE over folds (scikit-learn's neg_mean_squared_error); train_loss: final training loss. */
        score: z.enum(['cv_mse', 'train_loss']).optional(),
        rule: z.enum(['best']).default('best'),
      })
      .default({ rule: 'best' }),
    /** Train the selected grid point on all data (scikit-learn's refit). */
    refit: z.boolean().default(true),
    earlyStopping: earlyStopping.nullable().default(null),
    report: z
      .strictObject({ predict: z.array(z.union([z.number(), z.array(z.number()).min(1)])).default([]) })
      .default({ predict: [] }),
  })
  .superRefine((s, ctx) => {
    if (s.selection.score === 'cv_mse' && !s.cv) {
      ctx.addIssue({
        code: 'custom',
        path: ['selection', 'score'],
        message: "expected 'train_loss' without cv, got 'cv_mse'",
      })
    }
    const last = s.model.layers.length - 1
    if (s.standardize.y && s.model.layers[last]?.activation !== 'linear') {
      // Raw outputs are the standardized ones scaled back: only a linear output layer can hold that.
      ctx.addIssue({
        code: 'custom',
        path: ['standardize', 'y'],
        message: `expected a linear output layer (model.layers[${last}].activation), got '${s.model.layers[last]?.activation}'`,
      })
    }
    if ('file' in s.dataset) {
      const both = s.dataset.x.filter((c) => (s.dataset as { y: string[] }).y.includes(c))
      if (both.length > 0)
        ctx.addIssue({
          code: 'custom',
          path: ['dataset', 'y'],
          message: `expected columns other than the inputs, got '${both.join("', '")}' in both x and y`,
        })
    }
    if (s.earlyStopping?.monitor === 'val_loss' && s.earlyStopping.validationSplit === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['earlyStopping', 'validationSplit'],
        message: 'expected a number in (0, 1) when monitor is val_loss, got nothing',
      })
    }
  })

export type SpecInput = z.input<typeof specSchema>
type ParsedSpec = z.output<typeof specSchema>
/** A validated spec with every default filled in. */
export interface ExperimentSpec extends Omit<ParsedSpec, 'optimizer' | 'selection'> {
  optimizer: OptimizerSpec
  selection: { score: 'cv_mse' | 'train_loss'; rule: 'best' }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return 'an object'
  const s = JSON.stringify(v)
  return s.length > 40 ? `${s.slice(0, 37)}...` : s
}

function at(root: unknown, path: PropertyKey[]): unknown {
  let v: unknown = root
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<PropertyKey, unknown>)[k]
  }
  return v
}

export function formatPath(path: PropertyKey[]): string {
  let out = ''
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out ? `.${String(k)}` : String(k)
  return out || '(spec)'
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`)

interface Problem {
  path: PropertyKey[]
  msg: string
}

function explain(issue: z.core.$ZodIssue, input: unknown, prefix: PropertyKey[] = []): Problem {
  const path = [...prefix, ...issue.path]
  const got = describe(at(input, path))
  const problem = (msg: string): Problem => ({ path, msg })
  switch (issue.code) {
    case 'invalid_type':
      return problem(`expected ${article(issue.expected === 'int' ? 'integer' : issue.expected)}, got ${got}`)
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small'
      const bound = small ? issue.minimum : issue.maximum
      const op = small ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<'
      if (issue.origin === 'array')
        return problem(`expected ${small ? 'at least' : 'at most'} ${bound} item(s), got ${got}`)
      if (issue.origin === 'string') return problem(`expected a non-empty string, got ${got}`)
      return problem(
        `expected ${issue.origin === 'int' ? 'an integer' : 'a number'} ${op} ${bound}, got ${got}`,
      )
    }
    case 'invalid_value':
      return problem(`expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${got}`)
    case 'unrecognized_keys':
      return problem(`unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`)
    case 'invalid_union': {
      // Report the branch that got furthest; that is almost always the one the user meant.
      const best = issue.errors.filter((b) => b.length > 0).sort((a, b) => depth(b) - depth(a))[0]
      const first = best?.[0]
      if (first && depth(best) > 0) return explain(first, input, path)
      return problem(`expected ${unionExpectation(path)}, got ${got}`)
    }
    default:
      return problem(issue.message)
  }
}

function depth(issues: z.core.$ZodIssue[] | undefined): number {
  return issues?.[0]?.path.length ?? 0
}

function unionExpectation(path: PropertyKey[]): string {
  const key = String(path[path.length - 1] ?? '')
  if (key === 'loss') return `one of ${LOSSES.join(', ')} or {name, delta}`
  if (key === 'batchSize') return 'a positive integer or "full"'
  if (key === 'dataset') return '{builtin: name}, {inline: {x, y}} or {file, x, y}'
  return 'a number or an array of numbers'
}

/** Validates a parsed JSON spec; throws a UserError with one line per problem. */
export function parseSpec(input: unknown, source = 'spec'): ExperimentSpec {
  const r = specSchema.safeParse(input)
  if (!r.success) {
    throw new UserError(
      r.error.issues.map((i) => {
        const { path, msg } = explain(i, input)
        return path.length === 0 ? `${source}: ${msg}` : `${source}: ${formatPath(path)}: ${msg}`
      }),
    )
  }
  const s = r.data
  const eps = s.optimizer.eps ?? { torch: 1e-8, keras: 1e-7, tfjs: 1e-7, framework: null }[s.init]
  return {
    ...s,
    optimizer: { ...s.optimizer, eps },
    selection: { rule: s.selection.rule, score: s.selection.score ?? (s.cv ? 'cv_mse' : 'train_loss') },
  }
}

/** Sets a dot-separated path in a deep copy of a JSON object (the grid's way to vary any field). */
export function setPath<T>(obj: T, path: string, value: unknown): T {
  const copy = structuredClone(obj) as Record<string, unknown>
  const keys = path.split('.')
  let cur: Record<string, unknown> = copy
  for (const k of keys.slice(0, -1)) {
    const next = cur[k]
    if (next === null || typeof next !== 'object') cur[k] = {}
    cur = cur[k] as Record<string, unknown>
  }
  cur[keys[keys.length - 1] as string] = value
  return copy as T
}
