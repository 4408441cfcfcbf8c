import { rangeProblem, TABLE_FORMATS } from '@dualfit/data'
import { z } from 'zod'
import { UserError } from './errors.js'

export const ACTIVATIONS = ['linear', 'relu', 'tanh', 'sigmoid'] as const
export type Activation = (typeof ACTIVATIONS)[number]
export const LOSSES = ['mse', 'mae', 'huber'] as const
export type LossName = (typeof LOSSES)[number]
export const OPTIMIZERS = ['adam', 'sgd'] as const
export const INITS = ['keras', 'torch', 'tfjs', 'framework'] as const
export type InitConvention = (typeof INITS)[number]

/**
 * A real number the engines can hold: every value ends up in float32 tensors, where 1e39 is
 * Infinity. The same rule as a data file's cells (@dualfit/data's rangeProblem).
 */
const float32 = () =>
  z.number().refine((v) => rangeProblem(v) === null, {
    error: (iss) => `expected a number within float32's range (±3.4e38), got ${describeValue(iss.input)}`,
  })
const positive = float32().positive()
const probability = z.number().min(0).lt(1)
const value32 = z.union([float32(), z.array(float32()).min(1)])

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
      x: z.array(value32).min(2),
      y: z.array(value32).min(2),
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
  minDelta: float32().min(0).default(0),
  /** Keras: wait is only reset by epochs that also beat the baseline. */
  baseline: float32().nullable().default(null),
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
        /**
         * best: the lowest mean score (scikit-learn's). one-se: among the points within one standard
         * error of the best, the most conservative: the smallest learning rate (else the first point).
         */
        rule: z.enum(['best', 'one-se']).default('best'),
      })
      .default({ rule: 'best' }),
    /** Train the selected grid point on all data (scikit-learn's refit). */
    refit: z.boolean().default(true),
    earlyStopping: earlyStopping.nullable().default(null),
    report: z
      .strictObject({
        predict: z.array(value32).default([]),
        /**
         * A run succeeds when every prediction at `predict` is within this of the exact value (in the
         * output's unit); time to quality is when it first stays so. CV MSEs within its square of the
         * best tie in model selection: differences the spec says do not matter.
         */
        tolerance: positive.default(0.01),
      })
      .default({ predict: [], tolerance: 0.01 }),
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
  selection: { score: 'cv_mse' | 'train_loss'; rule: 'best' | 'one-se' }
}

/** A value as a message shows it after "got": short, one line. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return 'an object'
  // JSON.stringify would print Infinity (from --set x=1e999) as null.
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v)
  const s = JSON.stringify(v)
  return s.length > 40 ? `${s.slice(0, 37)}...` : s
}

function at(root: unknown, path: PropertyKey[]): unknown {
  let v: unknown = root
  for (const k of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, k)) return undefined
    v = (v as Record<PropertyKey, unknown>)[k]
  }
  return v
}

const PLAIN_KEY = /^[\w$-]+$/
/** A key as it appears in a message: plain when it is a plain name, else quoted (dots, spaces, controls). */
export function formatKey(k: PropertyKey): string {
  const s = String(k)
  return PLAIN_KEY.test(s) ? s : JSON.stringify(s)
}
/** A key for inside quotes: control characters and quotes escaped, as JSON would. */
const bare = (k: PropertyKey) =>
  PLAIN_KEY.test(String(k)) ? String(k) : JSON.stringify(String(k)).slice(1, -1)

export function formatPath(path: PropertyKey[]): string {
  let out = ''
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out ? `.${formatKey(k)}` : formatKey(k)
  return out || '(spec)'
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`)

interface Problem {
  path: PropertyKey[]
  msg: string
}

function explain(issue: z.core.$ZodIssue, input: unknown, prefix: PropertyKey[] = []): Problem {
  const path = [...prefix, ...issue.path]
  const got = describeValue(at(input, path))
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
      return problem(`unknown field(s) ${issue.keys.map((k) => `'${bare(k)}'`).join(', ')}`)
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

/** zod's issues as `source: json.path: expected ..., got ...` lines (one per issue). */
export function issueLines(issues: readonly z.core.$ZodIssue[], input: unknown, source: string): string[] {
  return issues.map((i) => {
    const { path, msg } = explain(i, input)
    return path.length === 0 ? `${source}: ${msg}` : `${source}: ${formatPath(path)}: ${msg}`
  })
}

/**
 * Keys that could reach Object.prototype if a JSON object were ever merged or assigned key by key.
 * JSON.parse makes `"__proto__"` an own key; a zod record would then drop it without a word.
 */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/** The path to the first key named __proto__, constructor or prototype in a JSON value; null if none. */
export function unsafeKeyPath(value: unknown): PropertyKey[] | null {
  interface Item {
    v: unknown
    key: PropertyKey | null
    up: Item | null
  }
  const pathOf = (item: Item | null, last: PropertyKey): PropertyKey[] => {
    const path = [last]
    for (let at = item; at && at.key !== null; at = at.up) path.unshift(at.key)
    return path
  }
  // Iterative: a hostile file may nest deeper than the call stack.
  const stack: Item[] = [{ v: value, key: null, up: null }]
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { v } = item
    if (v === null || typeof v !== 'object') continue
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], key: i, up: item })
      continue
    }
    const keys = Object.keys(v)
    const bad = keys.find((k) => UNSAFE_KEYS.has(k))
    if (bad !== undefined) return pathOf(item, bad)
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i] as string
      stack.push({ v: (v as Record<string, unknown>)[k], key: k, up: item })
    }
  }
  return null
}

/** The message for unsafeKeyPath's finding: `json.path: '__proto__' is not allowed as a field name`. */
export function unsafeKeyProblem(path: PropertyKey[]): string {
  return `${formatPath(path)}: '${bare(path[path.length - 1] as PropertyKey)}' is not allowed as a field name`
}

/** Validates a parsed JSON spec; throws a UserError with one line per problem. */
export function parseSpec(input: unknown, source = 'spec'): ExperimentSpec {
  // Refused before anything reads the spec key by key.
  const unsafe = unsafeKeyPath(input)
  if (unsafe) throw new UserError(`${source}: ${unsafeKeyProblem(unsafe)}`)
  const r = specSchema.safeParse(input)
  const problems = r.success ? [] : issueLines(r.error.issues, input, source)
  const grid = at(input, ['grid'])
  if (grid !== null && typeof grid === 'object' && !Array.isArray(grid)) {
    for (const key of Object.keys(grid)) {
      const p = specPathProblem(key)
      if (p) problems.push(`${source}: grid.${formatKey(key)}: ${p}`)
    }
  }
  if (!r.success || problems.length > 0) throw new UserError(problems)
  const s = r.data
  const eps = s.optimizer.eps ?? { torch: 1e-8, keras: 1e-7, tfjs: 1e-7, framework: null }[s.init]
  return {
    ...s,
    optimizer: { ...s.optimizer, eps },
    selection: { rule: s.selection.rule, score: s.selection.score ?? (s.cv ? 'cv_mse' : 'train_loss') },
  }
}

type Node = z.core.$ZodType
interface Def {
  type: string
  innerType?: Node
  in?: Node
  options?: Node[]
  shape?: Record<string, Node>
  element?: Node
}
const defOf = (n: Node) => n._zod.def as unknown as Def

/** The schemas a value at this node may take: wrappers (default, nullable, pipe) and unions unfolded. */
function shapesOf(n: Node): Node[] {
  const def = defOf(n)
  if (def.innerType) return shapesOf(def.innerType)
  if (def.type === 'pipe' && def.in) return shapesOf(def.in)
  if (def.type === 'union' && def.options) return def.options.flatMap(shapesOf)
  return [n]
}

const INDEX = /^(0|[1-9][0-9]{0,5})$/

/** The schemas of `key` under any of `nodes`, or why there is none. */
function childOf(nodes: Node[], key: string, parent: string): Node[] | string {
  const shapes = nodes.flatMap(shapesOf)
  const objects = shapes.map(defOf).filter((d) => d.type === 'object' && d.shape)
  const arrays = shapes.map(defOf).filter((d) => d.type === 'array' && d.element)
  const found = [
    ...objects.flatMap((d) =>
      Object.hasOwn(d.shape as object, key) ? [(d.shape as Record<string, Node>)[key] as Node] : [],
    ),
    ...(INDEX.test(key) ? arrays.map((d) => d.element as Node) : []),
  ]
  if (found.length > 0) return found
  const name = bare(key)
  if (objects.length > 0) {
    const fields = [...new Set(objects.flatMap((d) => Object.keys(d.shape as object)))].join(', ')
    return parent
      ? `'${parent}' has no field '${name}' (expected one of ${fields})`
      : `'${name}' is not a spec field (expected one of ${fields})`
  }
  if (arrays.length > 0) return `'${parent}' is a list: expected an index (0, 1, ...) after it, got '${name}'`
  if (shapes.some((n) => defOf(n).type === 'record'))
    return `'${parent}' is set as a whole, e.g. ${parent}={"optimizer.lr": [0.1, 0.01]}`
  return `'${parent}' has no fields, got '${name}' after it`
}

/**
 * Why `path` (dot-separated, e.g. optimizer.lr, earlyStopping.patience, model.layers.0.units) does
 * not name a field of the spec schema, or null when it does. Only known fields, nested as the schema
 * nests them, so a path can never reach __proto__, constructor or prototype.
 */
export function specPathProblem(path: string): string | null {
  const keys = path.split('.')
  if (keys.some((k) => k === ''))
    return `expected field names separated by dots, e.g. optimizer.lr, got ${JSON.stringify(path)}`
  let nodes: Node[] = [specSchema]
  for (const [i, key] of keys.entries()) {
    const next = childOf(nodes, key, keys.slice(0, i).join('.'))
    if (typeof next === 'string') return next
    nodes = next
  }
  return null
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * Sets a dot-separated spec path in a deep copy of a JSON spec (the grid's and --set's way to vary
 * any field). The path must name a spec field (specPathProblem) and the value may hold no
 * __proto__/constructor/prototype key: a UserError otherwise, before anything is written. A list
 * index may name an item or the one after the last.
 */
export function setPath<T>(obj: T, path: string, value: unknown): T {
  const problem = specPathProblem(path)
  if (problem) throw new UserError(`${formatKey(path)}: ${problem}`)
  const unsafe = unsafeKeyPath(value)
  if (unsafe) throw new UserError(unsafeKeyProblem([...path.split('.'), ...unsafe]))
  if (!isRecord(obj)) throw new UserError(`${formatKey(path)}: expected a spec object to set it in`)
  const copy = structuredClone(obj) as Record<string, unknown>
  const keys = path.split('.')
  let cur: Record<string, unknown> | unknown[] = copy
  for (const [i, key] of keys.entries()) {
    const last = i === keys.length - 1
    let slot: number | string = key
    if (Array.isArray(cur)) {
      const index = Number(key)
      if (index > cur.length) {
        throw new UserError(
          `${formatKey(path)}: index ${index} is past the end of '${keys.slice(0, i).join('.')}' (${cur.length} item(s))`,
        )
      }
      slot = index
    }
    const container = cur as Record<string | number, unknown>
    if (last) {
      // Own data properties only: every key here is a schema field name or a list index.
      Object.defineProperty(container, slot, { value, writable: true, enumerable: true, configurable: true })
      break
    }
    const existing = Object.hasOwn(container, slot) ? container[slot] : undefined
    const wantList = INDEX.test(keys[i + 1] as string)
    const next: Record<string, unknown> | unknown[] =
      wantList && Array.isArray(existing)
        ? existing
        : !wantList && isRecord(existing)
          ? existing
          : wantList
            ? []
            : {}
    Object.defineProperty(container, slot, {
      value: next,
      writable: true,
      enumerable: true,
      configurable: true,
    })
    cur = next
  }
  return copy as T
}
