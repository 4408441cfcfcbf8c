import { rangeProblem, TABLE_FORMATS, underflowProblem } from '@dualfit/data'
import { z } from 'zod'

export const ACTIVATIONS = ['linear', 'relu', 'tanh', 'sigmoid', 'softmax'] as const
export type Activation = (typeof ACTIVATIONS)[number]
export const REGRESSION_LOSSES = ['mse', 'mae', 'huber'] as const
/** Integer class labels in y: softmax over the last layer's units, or one sigmoid unit for two classes. */
export const CLASSIFICATION_LOSSES = ['cross_entropy', 'binary_cross_entropy'] as const
export const LOSSES = [...REGRESSION_LOSSES, ...CLASSIFICATION_LOSSES] as const
export type LossName = (typeof LOSSES)[number]
export type ClassificationLoss = (typeof CLASSIFICATION_LOSSES)[number]
export type Task = 'regression' | 'classification'
/** A classification loss's name, or null for a regression loss. */
export const classificationLoss = (name: LossName): ClassificationLoss | null =>
  (CLASSIFICATION_LOSSES as readonly string[]).includes(name) ? (name as ClassificationLoss) : null
export const taskOf = (spec: { loss: { name: LossName } }): Task =>
  classificationLoss(spec.loss.name) ? 'classification' : 'regression'
/**
 * Keras' backend epsilon: probabilities are clipped to [CLIP, 1 - CLIP] before the log when a loss
 * takes probabilities (fromLogits false), as tf.keras.losses and tfjs-layers do.
 */
export const PROBABILITY_CLIP = 1e-7

/**
 * What a loss of the spec asks for, as TrainSettings.probabilities states it: the softmax/sigmoid
 * inside the loss on logits (fromLogits), or a last layer of probabilities clipped by the loss;
 * null for regression. A backend that does exactly that states this; one that does not, its own.
 */
/** requestedProbabilities as a TrainSettings field: absent for regression, so their settings stay as they were. */
export const probabilitiesOf = (loss: { name: LossName; fromLogits?: boolean }) => {
  const probabilities = requestedProbabilities(loss)
  return probabilities ? { probabilities } : {}
}

export function requestedProbabilities(loss: { name: LossName; fromLogits?: boolean }): {
  activation: 'softmax' | 'sigmoid'
  at: 'loss' | 'model'
  clip: [number, number] | null
} | null {
  const kind = classificationLoss(loss.name)
  if (!kind) return null
  const activation = kind === 'cross_entropy' ? 'softmax' : 'sigmoid'
  return loss.fromLogits === false
    ? { activation, at: 'model', clip: [PROBABILITY_CLIP, 1 - PROBABILITY_CLIP] }
    : { activation, at: 'loss', clip: null }
}
export const OPTIMIZERS = ['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'] as const
export type OptimizerName = (typeof OPTIMIZERS)[number]
export const SCHEDULES = ['step', 'exponential', 'cosine', 'plateau'] as const
export const INITS = ['keras', 'torch', 'tfjs', 'framework'] as const
export const SCORES = ['cv_mse', 'cv_log_loss', 'cv_accuracy', 'train_loss'] as const
export type Score = (typeof SCORES)[number]
export type InitConvention = (typeof INITS)[number]

/**
 * A real number the engines can hold: every value ends up in float32 tensors, where 1e39 is
 * Infinity and 1e-50 is 0. The same rule as a data file's cells (@dualfit/data's rangeProblem).
 */
const float32 = (base = z.number()) =>
  base.refine((v) => rangeProblem(v) === null, {
    // After the base's bounds, and only if they held: one line per value (-1e-50 as a learning
    // rate is "expected a number > 0", not that too).
    when: (payload) => payload.issues.length === 0,
    error: (iss) =>
      underflowProblem(iss.input as number) ??
      `expected a number within float32's range (±3.4e38), got ${describeValue(iss.input)}`,
  })
const positive = float32(z.number().positive())
const probability = float32(z.number().min(0).lt(1))
const value32 = z.union([float32(), z.array(float32()).min(1)])

const layer = z.strictObject({
  units: z.number().int().positive(),
  activation: z.enum(ACTIVATIONS).default('linear'),
  /** Keras' kernel_regularizer l2(λ): λ Σ kernel² is added to the loss (and reported in it). */
  l2: float32(z.number().min(0)).optional(),
})
export type LayerSpec = z.output<typeof layer>

const lossObject = z.strictObject({
  name: z.enum(LOSSES),
  /** Huber's threshold between the quadratic and linear parts. */
  delta: positive.default(1),
  /**
   * Classification losses only. true (default): the last layer outputs logits and the loss applies
   * softmax/sigmoid itself (PyTorch's CrossEntropyLoss, BCEWithLogitsLoss). false: the last layer
   * applies softmax/sigmoid and the loss clips its probabilities to [1e-7, 1 - 1e-7] (Keras'
   * from_logits=False).
   */
  fromLogits: z.boolean().optional(),
})
/** Classification losses always carry fromLogits; regression losses never do (their specs hash as before). */
const withLogits = (l: { name: LossName; delta: number; fromLogits?: boolean }): LossSpec =>
  classificationLoss(l.name) ? { ...l, fromLogits: l.fromLogits ?? true } : l
const loss = z.union([
  z.enum(LOSSES).transform((name) => withLogits({ name, delta: 1 })),
  lossObject.transform(withLogits),
])
export interface LossSpec {
  name: LossName
  delta: number
  fromLogits?: boolean
}

// Fields past name, lr, betas, eps and momentum are optional without a default, so that a spec
// that does not use them validates (and hashes) as before; resolveOptimizer fills them per init.
const optimizer = z.strictObject({
  name: z.enum(OPTIMIZERS).default('adam'),
  lr: positive,
  beta1: probability.default(0.9),
  beta2: probability.default(0.999),
  /** Omitted: the convention's (torch 1e-8, Adagrad 1e-10; keras/tfjs 1e-7), the engine's own under framework. */
  eps: positive.optional(),
  /** SGD and RMSprop. */
  momentum: probability.default(0),
  /** SGD with momentum > 0. */
  nesterov: z.boolean().optional(),
  /** RMSprop's decay of the squared-gradient average: Keras rho 0.9, PyTorch alpha 0.99. */
  rho: probability.optional(),
  /** RMSprop: divide by the variance of the gradient instead of its second moment. */
  centered: z.boolean().optional(),
  /** Adagrad's starting accumulator: Keras 0.1, PyTorch 0. */
  initialAccumulator: float32(z.number().min(0)).optional(),
  /**
   * Weight decay in the convention's form: decoupled (w -= lr wd w) under keras/tfjs and for AdamW;
   * added to the gradient (L2) for PyTorch's SGD, Adam, RMSprop and Adagrad. Default 0, AdamW
   * 0.01 (torch) or 0.004 (keras).
   */
  weightDecay: float32(z.number().min(0)).optional(),
})
export interface OptimizerSpec extends Omit<z.output<typeof optimizer>, 'eps'> {
  /** null: the framework's own default (only under init 'framework'). */
  eps: number | null
}

const schedule = z.discriminatedUnion('name', [
  /** lr0 gamma^floor(epoch / stepSize): PyTorch StepLR, a Keras LearningRateScheduler. */
  z.strictObject({
    name: z.literal('step'),
    stepSize: z.number().int().positive(),
    gamma: positive.default(0.1),
  }),
  /** lr0 gamma^epoch: PyTorch ExponentialLR, Keras ExponentialDecay per epoch. */
  z.strictObject({ name: z.literal('exponential'), gamma: positive }),
  /** Cosine from lr0 to minLr over tMax epochs: PyTorch CosineAnnealingLR, Keras CosineDecay. */
  z.strictObject({
    name: z.literal('cosine'),
    tMax: z.number().int().positive(),
    minLr: float32(z.number().min(0)).default(0),
  }),
  /** Multiply lr by factor when the training loss stops improving: ReduceLROnPlateau. */
  z.strictObject({
    name: z.literal('plateau'),
    factor: float32(z.number().gt(0).lt(1)).default(0.1),
    patience: z.number().int().min(0).default(10),
    /** Keras min_delta (absolute) / PyTorch threshold (relative by default): the convention's 1e-4. */
    threshold: float32(z.number().min(0)).default(1e-4),
    cooldown: z.number().int().min(0).default(0),
    minLr: float32(z.number().min(0)).default(0),
  }),
])
export type ScheduleSpec = z.output<typeof schedule>

// C0 and C1 controls and DEL: XML cannot hold most of them, so one in a name breaks every SVG chart
// the name is drawn in, and a terminal acts on them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what it refuses
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/
// A description is prose, shown in HTML only: line breaks and tabs are its own.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what it refuses
const CONTROLS_IN_PROSE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/

/** Free text that reaches tables and charts (names, file names, column names). */
const text = (base = z.string(), controls = CONTROLS) =>
  base.refine((v) => !controls.test(v), {
    when: (payload) => payload.issues.length === 0,
    error: (iss) => {
      const v = iss.input as string
      const at = v.search(controls)
      const code = `U+${v.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0')}`
      return `expected text without control characters, got ${code} at character ${at + 1} of ${describeValue(v)}`
    },
  })

const columnList = z
  .union([text(z.string().min(1)), z.array(text(z.string().min(1))).min(1)])
  .transform((v) => (Array.isArray(v) ? v : [v]))

const dataset = z.union([
  z.strictObject({
    builtin: z.string().min(1),
    /** Rows to generate (noisy-linear, sin). */
    rows: z.number().int().min(2).optional(),
    /** Seed of the generated data, independent of the training seeds. */
    seed: z.number().int().min(0).optional(),
    /** Standard deviation of the noise added to generated classification data (moons, spirals). */
    noise: float32(z.number().min(0)).optional(),
  }),
  z.strictObject({
    inline: z.strictObject({
      x: z.array(value32).min(2),
      y: z.array(value32).min(2),
    }),
  }),
  z.strictObject({
    /** CSV, TSV, JSON (array of objects) or JSONL; relative to the spec file's folder. */
    file: text(z.string().min(1)),
    format: z.enum(TABLE_FORMATS).optional(),
    x: columnList,
    y: columnList,
    /** Drop rows with an empty x or y cell instead of failing on the first one. */
    dropMissing: z.boolean().default(false),
  }),
])
export type DatasetSpec = z.output<typeof dataset>
/** The key that tells the dataset union's options apart, in their order. */
const DATASET_KINDS = ['builtin', 'inline', 'file'] as const

const earlyStopping = z.strictObject({
  monitor: z.enum(['loss', 'val_loss']).default('loss'),
  patience: z.number().int().min(0),
  minDelta: float32(z.number().min(0)).default(0),
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
    name: text(z.string().min(1)),
    description: text(z.string(), CONTROLS_IN_PROSE).default(''),
    dataset,
    model: z.strictObject({ layers: z.array(layer).min(1) }),
    loss: loss.default({ name: 'mse', delta: 1 }),
    optimizer,
    /** The learning rate per epoch; none: constant. */
    schedule: schedule.optional(),
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
        /**
         * cv_mse: mean held-out MSE over folds (scikit-learn's neg_mean_squared_error); cv_log_loss
         * (neg_log_loss) and cv_accuracy (accuracy, the highest wins) for classification;
         * train_loss: final training loss.
         */
        score: z.enum(SCORES).optional(),
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
    if (s.optimizer.nesterov && !(s.optimizer.name === 'sgd' && s.optimizer.momentum > 0))
      ctx.addIssue({
        code: 'custom',
        path: ['optimizer', 'nesterov'],
        message: `applies to sgd with momentum > 0, got it with ${s.optimizer.name}${s.optimizer.name === 'sgd' ? ' and momentum 0' : ''}`,
      })
    const score = s.selection.score
    const classify = taskOf(s) === 'classification'
    if (score && score !== 'train_loss' && !s.cv) {
      ctx.addIssue({
        code: 'custom',
        path: ['selection', 'score'],
        message: `expected 'train_loss' without cv, got '${score}'`,
      })
    } else if (score && score !== 'train_loss' && (score === 'cv_mse') === classify) {
      ctx.addIssue({
        code: 'custom',
        path: ['selection', 'score'],
        message: classify
          ? `expected 'cv_log_loss', 'cv_accuracy' or 'train_loss' for ${s.loss.name}, got '${score}'`
          : `expected 'cv_mse' or 'train_loss' for ${s.loss.name}, got '${score}'`,
      })
    }
    if (!classify && s.loss.fromLogits !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['loss', 'fromLogits'],
        message: `applies to cross_entropy and binary_cross_entropy only, got it with ${s.loss.name}`,
      })
    const last = s.model.layers.length - 1
    for (const problem of outputProblems(s)) ctx.addIssue({ code: 'custom', ...problem })
    if (s.standardize.y && classify) {
      ctx.addIssue({
        code: 'custom',
        path: ['standardize', 'y'],
        message: `expected false for ${s.loss.name} (y holds class labels), got true`,
      })
    } else if (s.standardize.y && s.model.layers[last]?.activation !== 'linear') {
      // Raw outputs are the standardized ones scaled back: only a linear output layer can hold that.
      ctx.addIssue({
        code: 'custom',
        path: ['standardize', 'y'],
        message: `expected a linear output layer (model.layers[${last}].activation), got '${s.model.layers[last]?.activation}'`,
      })
    }
    // Arrays only when parsed: a column list with a problem of its own is not transformed.
    if ('file' in s.dataset && Array.isArray(s.dataset.x) && Array.isArray(s.dataset.y)) {
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

/**
 * Where the output layer does not fit the loss: a classification loss takes logits from a linear
 * layer (fromLogits) or probabilities from softmax (cross_entropy) / one sigmoid unit
 * (binary_cross_entropy); softmax is only ever that last layer of cross_entropy.
 */
function outputProblems(s: z.output<typeof specSchema>): { path: PropertyKey[]; message: string }[] {
  const out: { path: PropertyKey[]; message: string }[] = []
  const last = s.model.layers.length - 1
  s.model.layers.forEach((l, i) => {
    if (l.activation === 'softmax' && (i !== last || s.loss.name !== 'cross_entropy'))
      out.push({
        path: ['model', 'layers', i, 'activation'],
        message:
          i !== last
            ? "expected 'softmax' on the last layer only (it turns logits into class probabilities), got it on a hidden layer"
            : `expected 'linear' for ${s.loss.name}, got 'softmax' (softmax is for cross_entropy with fromLogits false)`,
      })
  })
  const kind = classificationLoss(s.loss.name)
  const layer = s.model.layers[last]
  if (!kind || !layer) return out
  const path = ['model', 'layers', last]
  if (kind === 'binary_cross_entropy' && layer.units !== 1)
    out.push({
      path: [...path, 'units'],
      message: `expected 1 (one logit, the probability of the second class) for binary_cross_entropy, got ${layer.units}; use cross_entropy for one unit per class`,
    })
  const probability = kind === 'cross_entropy' ? 'softmax' : 'sigmoid'
  const want = s.loss.fromLogits ? 'linear' : probability
  if (layer.activation !== want && layer.activation !== 'softmax')
    out.push({
      path: [...path, 'activation'],
      message: s.loss.fromLogits
        ? `expected 'linear' (logits: ${s.loss.name} applies the ${probability} itself), got '${layer.activation}'; set loss.fromLogits false to train on the layer's ${probability} probabilities`
        : `expected '${probability}' (loss.fromLogits is false: the last layer outputs probabilities), got '${layer.activation}'`,
    })
  return out
}

export type SpecInput = z.input<typeof specSchema>
type ParsedSpec = z.output<typeof specSchema>
/** A validated spec with every default filled in. */
export interface ExperimentSpec extends Omit<ParsedSpec, 'optimizer' | 'selection'> {
  optimizer: OptimizerSpec
  selection: { score: Score; rule: 'best' | 'one-se' }
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

/** The value at `path` in a parsed JSON value (own keys only), or undefined. */
export function valueAt(root: unknown, path: PropertyKey[]): unknown {
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
export const bare = (k: PropertyKey) =>
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
  const value = valueAt(input, path)
  const got = describeValue(value)
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
        return problem(`expected ${small ? 'at least' : 'at most'} ${bound} item(s), got ${items(value)}`)
      if (issue.origin === 'string') return problem(`expected a non-empty string, got ${got}`)
      return problem(
        `expected ${issue.origin === 'int' ? 'an integer' : 'a number'} ${op} ${bound}, got ${got}`,
      )
    }
    case 'invalid_value':
      return problem(`expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${got}`)
    case 'unrecognized_keys': {
      // {builtin, file} fails only by its extra key under the builtin option.
      const kind = datasetKind(path, value)
      if (typeof kind === 'string') return problem(kind)
      return problem(`unknown field(s) ${issue.keys.map((k) => `'${bare(k)}'`).join(', ')}`)
    }
    case 'invalid_union': {
      const kind = datasetKind(path, value)
      if (typeof kind === 'string') return problem(kind)
      // Its key says which kind of dataset is meant; the furthest branch may be another.
      const meant = kind === null ? undefined : issue.errors[kind]?.[0]
      if (meant) return explain(meant, input, path)
      // Report the branch that got furthest; that is almost always the one the user meant.
      const best = issue.errors.filter((b) => b.length > 0).sort((a, b) => depth(b) - depth(a))[0]
      const first = best?.[0]
      if (first && depth(best) > 0) return explain(first, input, path)
      return problem(`expected ${unionExpectation(path)}, got ${Array.isArray(value) ? items(value) : got}`)
    }
    default:
      return problem(issue.message)
  }
}

/** A plain JSON object (not null, not an array). */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * For a dataset: the index of the union option its key names, or why no single one is named;
 * null elsewhere.
 */
function datasetKind(path: PropertyKey[], value: unknown): number | string | null {
  if (path[path.length - 1] !== 'dataset' || !isObject(value)) return null
  const kinds = DATASET_KINDS.filter((k) => Object.hasOwn(value, k))
  if (kinds.length === 1) return DATASET_KINDS.indexOf(kinds[0] as (typeof DATASET_KINDS)[number])
  const found =
    kinds.length === 0 ? 'none of them' : `'${kinds.slice(0, -1).join("', '")}' and '${kinds.at(-1)}'`
  return `expected exactly one of 'builtin', 'inline' or 'file' (keep the one you mean), got ${found}`
}

/** An array's length as a message shows it after "got". */
const items = (v: unknown) =>
  !Array.isArray(v) ? describeValue(v) : v.length === 0 ? 'an empty list' : `${v.length} item(s)`

function depth(issues: z.core.$ZodIssue[] | undefined): number {
  return issues?.[0]?.path.length ?? 0
}

function unionExpectation(path: PropertyKey[]): string {
  const key = String(path[path.length - 1] ?? '')
  if (key === 'loss') return `one of ${LOSSES.join(', ')} or {name, delta}`
  if (key === 'batchSize') return 'a positive integer or "full"'
  if ((key === 'x' || key === 'y') && path[path.length - 2] === 'dataset')
    return 'a column name or a list of column names'
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
