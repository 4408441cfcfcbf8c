/**
 * The one catalogue of what a table says about each backend's runs: per measure, its column in the
 * terminal and Markdown tables and its fields in the CSV, in the order both show them.
 */
import type { Score, Task } from '@dualfit/core'
import { duration, meanSd, micros, num, stat } from './format.js'
import { type PredictionStat, paramsLabel, type Stat, type Summary, taskOfSummary } from './summary.js'

export interface Column {
  header: (first: Summary) => string
  cell: (s: Summary) => string
  /** The number behind the cell, for the difference row; absent for columns that don't subtract. */
  value?: (s: Summary) => number | null | undefined
  /** Show the difference as a duration and add the ratio. */
  time?: 'ms' | 'us'
  /** Whether the column carries information for these rows; absent: always shown. */
  show?: (rows: Summary[]) => boolean
}

/**
 * CSV fields by name, with their raw values: text (neutralised as formulas), a number, a list of
 * numbers (written joined by spaces), or a list of such lists (one per report input, joined by ';').
 */
type CsvFields = Record<string, (s: Summary) => unknown>

interface Measure {
  /** Its column in the tables, or one per output or report input of this group; absent: the CSV only. */
  table?: Column | ((rows: Summary[]) => Column[])
  /** Its fields in the CSV; absent: the tables only. */
  csv?: CsvFields
  /** Only where some row is of this task (a regression-only CSV keeps its columns); absent: always. */
  task?: Task
}

/** The tolerance with the output's unit, e.g. '0.01 ft'. */
const within = (s: Summary) => {
  const unit = s.data.units.y.length === 1 ? s.data.units.y[0] : ''
  return `${num(s.tolerance, 3)}${unit ? ` ${unit}` : ''}`
}
/** Time-to-quality cells say how many runs got there when some did not. */
const reached = (s: Summary, cell: string) => {
  const q = s.toQuality
  if (!q || q.reached === 0) return q ? `never (0/${q.of})` : '—'
  return q.reached < q.of ? `${cell} (${q.reached}/${q.of})` : cell
}
/** The mark of a run whose loss became NaN or infinite. */
const DIVERGED = 'diverged ✗'
/** A linear fit's weight and bias only when there is one. */
const linear = (rows: Summary[]) => rows.some((r) => r.weight !== null)
const toQuality = (rows: Summary[]) => rows.some((r) => r.toQuality)

/** Epochs, steps or ms to get within the tolerance for good, with how many runs got there. */
function toQualityMeasure(unit: 'epochs' | 'steps' | 'ms', digits: number): Measure {
  return {
    table: {
      header: (f) => `${unit} to ≤${within(f)}`,
      cell: (s) => reached(s, stat(s.toQuality?.[unit] ?? null, digits)),
      value: (s) => s.toQuality?.[unit]?.median,
      ...(unit === 'ms' ? { time: 'ms' as const } : {}),
      show: toQuality,
    },
    csv: { [`to_quality_${unit}`]: (s) => s.toQuality?.[unit]?.median },
  }
}

/** The score column's header: what selection ranked the grid points by. */
const SCORE_HEADERS: Record<Score, string> = {
  cv_mse: 'CV MSE (mean ± sd)',
  cv_log_loss: 'CV log loss (mean ± sd)',
  cv_accuracy: 'CV accuracy (mean ± sd)',
  train_loss: 'grid score (final loss, mean ± sd)',
}

/** A classifier's score over seeds, e.g. 'test accuracy'; accuracy and log loss read to 4 digits. */
function classMeasure(header: string, at: (s: Summary) => Stat | null | undefined, field: string): Measure {
  return {
    table: { header: () => header, cell: (s) => stat(at(s) ?? null, 4), value: (s) => at(s)?.median },
    csv: { [field]: (s) => at(s)?.mean },
    task: 'classification',
  }
}

/** The words on a report input: '@ 100 m', '@ 5.1, 3.5, 1.4, 0.2'. */
const where = (p: PredictionStat) => `@ ${p.x.map((v) => num(v, 6)).join(', ')} ${p.unitX}`.trim()

/** One test MSE column, or one per output: a sum over outputs would add mpg² to lbs². */
function testMseColumns(rows: Summary[]): Column[] {
  const outputs = rows.find((r) => r.testMseByOutput)?.data.columns.y
  if (!outputs)
    return [{ header: () => 'test MSE', cell: (s) => stat(s.testMse, 3), value: (s) => s.testMse?.median }]
  const at = (s: Summary, j: number): Stat | null => s.testMseByOutput?.[j] ?? null
  return outputs.map((name, j) => ({
    header: () => `test MSE ${name}`,
    cell: (s) => stat(at(s, j), 3),
    value: (s) => at(s, j)?.median,
  }))
}

/** A prediction and its error per report input and output, e.g. 'pred @ 100 m', 'pred mpg @ 130, 3500'. */
function predictionColumns(rows: Summary[]): Column[] {
  const list = rows.reduce<PredictionStat[]>(
    (a, r) => (r.predictions.length > a.length ? r.predictions : a),
    [],
  )
  const classes = rows.find((r) => r.classes)?.classes
  if (classes) return classColumns(list, classes.length)
  const outputs = new Set(list.map((p) => p.output)).size
  const at = (s: Summary, i: number) => s.predictions[i]
  return list.flatMap((p, i) => {
    const label = outputs > 1 ? `pred ${p.output} ${where(p)}` : `pred ${where(p)}`
    return [
      {
        header: () => label,
        cell: (s) => stat(at(s, i)?.y ?? null, 6, at(s, i)?.unitY),
        value: (s) => at(s, i)?.y.median,
      },
      {
        // One error column reads as before; several say which prediction they are the error of.
        header: () => (list.length > 1 ? `|error| ${label.slice('pred '.length)}` : '|error|'),
        cell: (s) => stat(at(s, i)?.absError ?? null, 3, at(s, i)?.unitY),
        value: (s) => at(s, i)?.absError?.median,
      },
    ]
  })
}

/**
 * A classifier's predictions per report input: the class the runs pick (with how many do, when
 * they disagree), then each class's probability, e.g. 'P(setosa) @ 5.1, 3.5, 1.4, 0.2'.
 */
function classColumns(list: PredictionStat[], classes: number): Column[] {
  return list.flatMap((p, i): Column[] => {
    const input = Math.floor(i / classes)
    const probability: Column = {
      header: () => `P(${p.output}) ${where(p)}`,
      cell: (s) => stat(s.predictions[i]?.y ?? null, 4),
      value: (s) => s.predictions[i]?.y.median,
    }
    if (i % classes !== 0) return [probability]
    const picked: Column = {
      header: () => `class ${where(p)}`,
      cell: (s) => {
        const l = s.labels?.[input]
        return !l ? '—' : l.runs < l.of ? `${l.label} (${l.runs}/${l.of})` : l.label
      },
    }
    return [picked, probability]
  })
}

/** A field per report input: f of each output's prediction, j the output (the CSV writes 'a b;c d'). */
function perInput(s: Summary, f: (p: PredictionStat, j: number) => number[]): number[][] | undefined {
  // A classifier predicts each class's probability at each input.
  const outputs = Math.max(1, (s.classes ?? s.data.columns.y).length)
  const rows: number[][] = []
  for (let i = 0; i < s.predictions.length; i += outputs)
    rows.push(s.predictions.slice(i, i + outputs).flatMap((p, j) => f(p, j)))
  return rows.some((r) => r.length > 0) ? rows : undefined
}

const MEASURES: Measure[] = [
  { csv: { spec: (s) => s.spec, spec_hash: (s) => s.specHash } },
  {
    table: { header: () => 'backend', cell: (s) => `${s.backend} (${s.engine})` },
    csv: { backend: (s) => s.backend, engine: (s) => s.engine, seeds: (s) => s.seeds },
  },
  {
    table: {
      header: () => 'selected',
      // Points within one standard error of the best: the selection between them is noise.
      cell: (s) => `${paramsLabel(s.selected) || '—'}${s.ties > 0 ? ` (${s.ties} tied ≤1 SE)` : ''}`,
    },
    csv: { selected: (s) => paramsLabel(s.selected) },
  },
  {
    table: {
      header: (f) => SCORE_HEADERS[f.scoreKind],
      cell: (s) => meanSd(s.score, 3),
      value: (s) => s.score?.mean,
    },
    csv: { score_kind: (s) => s.scoreKind, score_mean: (s) => s.score?.mean, score_sd: (s) => s.score?.sd },
  },
  {
    table: testMseColumns,
    csv: {
      test_mse: (s) => s.testMse?.mean,
      test_mse_by_output: (s) => s.testMseByOutput?.map((m) => m.mean),
    },
    task: 'regression',
  },
  { csv: { classes: (s) => s.classes?.join(';') }, task: 'classification' },
  classMeasure('train accuracy', (s) => s.accuracy, 'accuracy'),
  classMeasure('train log loss', (s) => s.logLoss, 'log_loss'),
  classMeasure('test accuracy', (s) => s.testAccuracy, 'test_accuracy'),
  classMeasure('test log loss', (s) => s.testLogLoss, 'test_log_loss'),
  {
    // counts[true][predicted] summed over seeds, row by row ('50 0 0;0 47 3;...').
    csv: { confusion_on: (s) => s.confusion?.on, confusion: (s) => s.confusion?.counts },
    task: 'classification',
  },
  {
    csv: {
      data_rows: (s) => s.data.rows,
      data_dropped: (s) => s.data.dropped,
      data_test_rows: (s) => s.data.testRows,
    },
  },
  {
    table: { header: () => 'epochs', cell: (s) => stat(s.epochsRun, 4), value: (s) => s.epochsRun?.median },
    csv: { epochs_run: (s) => s.epochsRun?.mean },
  },
  {
    table: {
      header: () => 'early stop',
      cell: (s) => {
        const e = s.earlyStop
        if (!e) return '—'
        const what =
          e.runs === 1
            ? e.diverged
              ? DIVERGED
              : e.stopped
                ? 'stopped'
                : 'no stop'
            : `${e.stopped}/${e.runs} stopped${e.diverged ? `, ${e.diverged} ${DIVERGED}` : ''}`
        return `${stat(e.epochsRun, 4)} of ${e.maxEpochs} (${what})`
      },
      value: (s) => s.earlyStop?.epochsRun.median,
    },
    csv: {
      early_stop_epochs: (s) => s.earlyStop?.epochsRun.mean,
      early_stop_stopped: (s) => s.earlyStop?.stopped,
    },
  },
  {
    table: {
      header: (f) => (f.scaledLoss ? 'final loss (standardized)' : 'final loss'),
      cell: (s) => stat(s.finalLoss, 3),
      value: (s) => s.finalLoss?.median,
    },
    csv: { final_loss: (s) => s.finalLoss?.mean },
  },
  {
    table: {
      header: () => 'weight',
      cell: (s) => stat(s.weight, 6),
      value: (s) => s.weight?.median,
      show: linear,
    },
    csv: { weight: (s) => s.weight?.mean },
  },
  {
    table: { header: () => 'bias', cell: (s) => stat(s.bias, 4), value: (s) => s.bias?.median, show: linear },
    csv: { bias: (s) => s.bias?.mean },
  },
  {
    table: predictionColumns,
    csv: {
      predict_x: (s) => perInput(s, (p, j) => (j === 0 ? p.x : [])),
      prediction: (s) => perInput(s, (p) => [p.y.mean]),
      exact: (s) => perInput(s, (p) => (p.exact === null ? [] : [p.exact])),
      abs_error: (s) => perInput(s, (p) => (p.absError ? [p.absError.mean] : [])),
    },
  },
  { csv: { predicted_class: (s) => s.labels?.map((l) => l.label).join(';') }, task: 'classification' },
  {
    table: {
      header: (f) => `success (≤${within(f)})`,
      cell: (s) => (s.success ? `${s.success.ok}/${s.success.of}` : '—'),
      value: (s) => (s.success ? s.success.ok / s.success.of : null),
      show: (rows) => rows.some((r) => r.success),
    },
    csv: { tolerance: (s) => s.tolerance, success: (s) => s.success?.ok, success_of: (s) => s.success?.of },
  },
  toQualityMeasure('epochs', 4),
  toQualityMeasure('steps', 4),
  toQualityMeasure('ms', 3),
  {
    table: {
      header: () => 'parity (loss curves, weights)',
      cell: (s) => {
        const p = s.parity
        if (!p) return 'reference'
        const part = p.curves.part ? `, part at epoch ${p.curves.part.epoch}` : ''
        // ✓ noise: beyond tolerance, within the first backend's own difference from itself.
        return `${p.ok ? '✓' : '✗'}${p.verdict === 'noise' ? ' noise' : ''} ${num(p.curves.max, 2)}, ${num(p.weights.max, 2)}${part}`
      },
      show: (rows) => rows.some((r) => r.parity),
    },
    csv: {
      parity_ok: (s) => s.parity?.ok,
      parity_curves: (s) => s.parity?.curves.max,
      parity_weights: (s) => s.parity?.weights.max,
    },
  },
  {
    table: {
      header: () => 'diverged runs',
      cell: (s) =>
        s.diverged.runs > 0 ? `${s.diverged.runs} of ${s.diverged.of} ✗` : `0 of ${s.diverged.of}`,
      value: (s) => s.diverged.runs,
      show: (rows) => rows.some((r) => r.diverged.runs > 0),
    },
  },
  {
    table: { header: () => 'steps', cell: (s) => s.steps.toLocaleString('en-US'), value: (s) => s.steps },
    csv: { steps: (s) => s.steps },
  },
  {
    table: { header: () => 'wall', cell: (s) => duration(s.wallMs), value: (s) => s.wallMs, time: 'ms' },
    csv: { wall_ms: (s) => s.wallMs },
  },
  {
    table: {
      header: () => 'µs/step',
      cell: (s) => micros(s.usPerStep),
      value: (s) => s.usPerStep,
      time: 'us',
    },
    csv: { us_per_step: (s) => s.usPerStep },
  },
]

/** The measures for these rows: those of a task only where some row is of it. */
const measuresFor = (rows: Summary[]) =>
  MEASURES.filter((m) => !m.task || rows.some((r) => taskOfSummary(r) === m.task))

/** Columns that carry information for this set of runs: none whose every cell is '—'. */
export function columnsFor(rows: Summary[]): Column[] {
  return measuresFor(rows)
    .flatMap((m) => (typeof m.table === 'function' ? m.table(rows) : m.table ? [m.table] : []))
    .filter((c) => (c.show?.(rows) ?? true) && rows.some((r) => c.cell(r) !== '—'))
}

/** The CSV fields for these rows, in order: (name, raw value). */
export const csvFields = (rows: Summary[]) => measuresFor(rows).flatMap((m) => Object.entries(m.csv ?? {}))
