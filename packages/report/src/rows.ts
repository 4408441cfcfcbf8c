/** Tables as a header and rows of cell text, for any format to lay out. */
import { type Column, columnsFor } from './columns.js'
import { duration, micros, num, signed } from './format.js'
import { rowNames, type Summary } from './summary.js'

function diffCell(c: Column, a: Summary, b: Summary): string {
  const va = c.value?.(a)
  const vb = c.value?.(b)
  if (!c.value || va === null || va === undefined || vb === null || vb === undefined) return ''
  const d = va - vb
  if (!c.time) return signed(d, 3)
  const text = c.time === 'ms' ? duration(Math.abs(d)) : micros(Math.abs(d))
  return `${d >= 0 ? '+' : '-'}${text} (×${num(vb > 0 ? va / vb : Number.NaN, 3)})`
}

/** Header, one row per backend, then the first-minus-other difference rows. */
export function tableRows(rows: Summary[]): { head: string[]; body: string[][] } {
  const cols = columnsFor(rows)
  const first = rows[0] as Summary
  const names = rowNames(rows)
  const body = rows.map((r) => cols.map((c) => c.cell(r)))
  for (const [k, other] of rows.slice(1).entries()) {
    body.push(cols.map((c, i) => (i === 0 ? `Δ ${names[0]} − ${names[k + 1]}` : diffCell(c, first, other))))
  }
  return { head: cols.map((c) => c.header(first)), body }
}

/** The same table turned on its side: one row per measure, one column per backend, then the differences. */
export function tallRows(rows: Summary[]): { head: string[]; body: string[][] } {
  return turn(tableRows(rows))
}

export function turn({ head, body }: { head: string[]; body: string[][] }): {
  head: string[]
  body: string[][]
} {
  return {
    head: ['measure', ...body.map((row) => row[0] as string)],
    body: head.slice(1).map((label, i) => [label, ...body.map((row) => row[i + 1] as string)]),
  }
}

/**
 * Under init 'framework' each backend uses its own defaults: these rows show them side by side,
 * so that "the same model" differing out of the box has its reasons in view. Null otherwise, or
 * when no result says what it applied (older files). A row that applies to no backend here (RMSprop's
 * rho under Adam, probabilities under a regression loss) is left out.
 */
export function settingsRows(rows: Summary[]): { head: string[]; body: string[][] } | null {
  const known = rows.filter((r) => r.settings)
  if (rows[0]?.init !== 'framework' || known.length === 0) return null
  const NA = '—'
  const opt = (r: Summary) => r.settings?.optimizer
  const eps = (r: Summary) => (r.settings?.epsilon ? String(r.settings.epsilon.value) : '— (not Adam)')
  const measures: [string, (r: Summary) => string][] = [
    ['initializer', (r) => r.settings?.initializer ?? ''],
    ['optimizer', (r) => opt(r)?.name ?? NA],
    ['Adam epsilon', eps],
    ['Adam epsilon placement', (r) => r.settings?.epsilon?.placement ?? NA],
    ['RMSprop/Adagrad epsilon', (r) => String(opt(r)?.rootEpsilon?.value ?? NA)],
    ['RMSprop/Adagrad epsilon placement', (r) => opt(r)?.rootEpsilon?.placement ?? NA],
    ["RMSprop rho (PyTorch's alpha)", (r) => String(opt(r)?.rho ?? NA)],
    ['RMSprop centered', (r) => String(opt(r)?.centered ?? NA)],
    ['Adagrad initial accumulator', (r) => String(opt(r)?.initialAccumulator ?? NA)],
    ['momentum', (r) => momentumCell(opt(r)?.momentum)],
    ['weight decay', (r) => decayCell(opt(r)?.weightDecay)],
    ['lr schedule', (r) => scheduleCell(opt(r)?.schedule)],
    ['batch size', (r) => String(r.settings?.batchSize ?? '')],
    ['batch order', (r) => r.settings?.order ?? ''],
    ['loss reduction', (r) => r.settings?.lossReduction ?? ''],
    ['probabilities', (r) => probabilitiesCell(r.settings?.probabilities)],
  ]
  return {
    head: ['framework defaults in effect', ...known.map((r) => `${r.backend} (${r.engine})`)],
    body: measures
      .map(([label, cell]) => [label, ...known.map(cell)])
      .filter((row) => row.slice(1).some((c) => c !== NA)),
  }
}

type Optimizer = NonNullable<NonNullable<Summary['settings']>['optimizer']>

const momentumCell = (m: Optimizer['momentum'] | undefined) =>
  m ? `${m.value}${m.nesterov ? ' Nesterov' : ''}, ${m.form}` : '—'

const decayCell = (d: Optimizer['weightDecay'] | undefined) =>
  d
    ? `${d.value}, ${d.form === 'decoupled' ? 'decoupled (w -= lr wd w)' : 'in the gradient (g += wd w)'}`
    : '—'

const scheduleCell = (s: Optimizer['schedule'] | undefined) =>
  s ? `${s.name}, ${s.semantics === 'keras' ? 'Keras' : 'PyTorch'} semantics` : '—'

const probabilitiesCell = (p: NonNullable<Summary['settings']>['probabilities']) =>
  p
    ? `${p.activation} ${p.at === 'loss' ? 'in the loss (logits out)' : 'as the last layer'}, ${
        p.clip ? `clipped to [${p.clip[0]}, 1 - ${p.clip[0]}]` : 'unclipped'
      }`
    : '—'

/** Past this many classes a confusion matrix no longer reads at a glance: the tables leave it out. */
export const MAX_CONFUSION_CLASSES = 10

/**
 * A classifier's confusion matrix per backend, summed over its final runs: true classes down,
 * predicted classes across, under a title that says which backend, which rows and how many runs.
 */
export function confusionTables(rows: Summary[]): { title: string; head: string[]; body: string[][] }[] {
  const names = rowNames(rows)
  return rows.flatMap((r, i) => {
    const { confusion: c, classes = [] } = r
    if (!c || classes.length > MAX_CONFUSION_CLASSES) return []
    const runs = r.accuracy?.n ?? 0
    return [
      {
        title: `confusion matrix, ${names[i]}: ${c.on === 'test' ? 'test' : 'training'} rows, summed over ${runs} run${runs === 1 ? '' : 's'}`,
        head: ['true ↓ predicted →', ...classes],
        body: c.counts.map((row, k) => [classes[k] ?? '', ...row.map(String)]),
      },
    ]
  })
}
