import type { DataInfo } from '@dualfit/core'
import Table from 'cli-table3'
import {
  csvText,
  duration,
  markdownCell,
  markdownLine,
  meanSd,
  micros,
  num,
  plain,
  signed,
  stat,
} from './format.js'
import { paramsLabel, type Summary } from './summary.js'

interface Column {
  header: (first: Summary) => string
  cell: (s: Summary) => string
  /** The number behind the cell, for the difference row; absent for columns that don't subtract. */
  value?: (s: Summary) => number | null | undefined
  /** Show the difference as a duration and add the ratio. */
  time?: 'ms' | 'us'
  /** Whether the column carries information for these rows; absent: always shown. */
  show?: (rows: Summary[]) => boolean
}

const unit = (s: Summary) => s.prediction?.unitY ?? ''
/** The tolerance with its unit, e.g. '0.01 ft'. */
const within = (s: Summary) => `${num(s.tolerance, 3)}${unit(s) ? ` ${unit(s)}` : ''}`
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

const COLUMNS: Column[] = [
  { header: () => 'backend', cell: (s) => `${s.backend} (${s.engine})` },
  {
    header: () => 'selected',
    // Points within one standard error of the best: the selection between them is noise.
    cell: (s) => `${paramsLabel(s.selected) || '—'}${s.ties > 0 ? ` (${s.ties} tied ≤1 SE)` : ''}`,
  },
  {
    header: (f) => (f.scoreKind === 'cv_mse' ? 'CV MSE (mean ± sd)' : 'grid score (final loss)'),
    cell: (s) => meanSd(s.score, 3),
    value: (s) => s.score?.mean,
  },
  {
    header: () => 'test MSE',
    cell: (s) => stat(s.testMse, 3),
    value: (s) => s.testMse?.median,
    show: (rows) => rows.some((r) => r.testMse !== null),
  },
  { header: () => 'epochs', cell: (s) => stat(s.epochsRun, 4), value: (s) => s.epochsRun?.median },
  {
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
  {
    header: (f) => (f.scaledLoss ? 'final loss (standardized)' : 'final loss'),
    cell: (s) => stat(s.finalLoss, 3),
    value: (s) => s.finalLoss?.median,
  },
  { header: () => 'weight', cell: (s) => stat(s.weight, 6), value: (s) => s.weight?.median, show: linear },
  { header: () => 'bias', cell: (s) => stat(s.bias, 4), value: (s) => s.bias?.median, show: linear },
  {
    header: (f) =>
      f.prediction
        ? `pred @ ${f.prediction.x.map((v) => num(v, 6)).join(', ')} ${f.prediction.unitX}`.trim()
        : 'prediction',
    cell: (s) => stat(s.prediction?.y ?? null, 6, unit(s)),
    value: (s) => s.prediction?.y.median,
  },
  {
    header: () => '|error|',
    cell: (s) => stat(s.prediction?.absError ?? null, 3, unit(s)),
    value: (s) => s.prediction?.absError?.median,
    show: (rows) => rows.some((r) => r.prediction?.absError),
  },
  {
    header: (f) => `success (≤${within(f)})`,
    cell: (s) => (s.success ? `${s.success.ok}/${s.success.of}` : '—'),
    value: (s) => (s.success ? s.success.ok / s.success.of : null),
    show: (rows) => rows.some((r) => r.success),
  },
  {
    header: (f) => `epochs to ≤${within(f)}`,
    cell: (s) => reached(s, stat(s.toQuality?.epochs ?? null, 4)),
    value: (s) => s.toQuality?.epochs?.median,
    show: toQuality,
  },
  {
    header: (f) => `steps to ≤${within(f)}`,
    cell: (s) => reached(s, stat(s.toQuality?.steps ?? null, 4)),
    value: (s) => s.toQuality?.steps?.median,
    show: toQuality,
  },
  {
    header: (f) => `ms to ≤${within(f)}`,
    cell: (s) => reached(s, stat(s.toQuality?.ms ?? null, 3)),
    value: (s) => s.toQuality?.ms?.median,
    time: 'ms',
    show: toQuality,
  },
  {
    header: () => 'parity (loss curves, weights)',
    cell: (s) => {
      const p = s.parity
      if (!p) return 'reference'
      const part = p.curves.part ? `, part at epoch ${p.curves.part.epoch}` : ''
      return `${p.ok ? '✓' : '✗'} ${num(p.curves.max, 2)}, ${num(p.weights.max, 2)}${part}`
    },
    show: (rows) => rows.some((r) => r.parity),
  },
  {
    header: () => 'diverged runs',
    cell: (s) => (s.diverged.runs > 0 ? `${s.diverged.runs} of ${s.diverged.of} ✗` : `0 of ${s.diverged.of}`),
    value: (s) => s.diverged.runs,
    show: (rows) => rows.some((r) => r.diverged.runs > 0),
  },
  { header: () => 'steps', cell: (s) => s.steps.toLocaleString('en-US'), value: (s) => s.steps },
  { header: () => 'wall', cell: (s) => duration(s.wallMs), value: (s) => s.wallMs, time: 'ms' },
  { header: () => 'µs/step', cell: (s) => micros(s.usPerStep), value: (s) => s.usPerStep, time: 'us' },
]

/** Columns that carry information for this set of runs. */
function columnsFor(rows: Summary[]): Column[] {
  return COLUMNS.filter((c) => c.show?.(rows) ?? true)
}

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
  const body = rows.map((r) => cols.map((c) => c.cell(r)))
  for (const other of rows.slice(1)) {
    body.push(
      cols.map((c, i) => (i === 0 ? `Δ ${first.backend} − ${other.backend}` : diffCell(c, first, other))),
    )
  }
  return { head: cols.map((c) => c.header(first)), body }
}

/** The same table turned on its side: one row per measure, one column per backend, then the differences. */
export function tallRows(rows: Summary[]): { head: string[]; body: string[][] } {
  return turn(tableRows(rows))
}

function turn({ head, body }: { head: string[]; body: string[][] }): { head: string[]; body: string[][] } {
  return {
    head: ['measure', ...body.map((row) => row[0] as string)],
    body: head.slice(1).map((label, i) => [label, ...body.map((row) => row[i + 1] as string)]),
  }
}

/** Folds ` · `-separated parts into lines of at most `width` characters (a long part breaks at spaces). */
function fold(parts: string[], width: number): string {
  const lines: string[] = []
  const words = (p: string) => {
    const out: string[] = []
    for (const w of p.split(' ')) {
      const last = out.length - 1
      if (last >= 0 && (out[last] as string).length + 1 + w.length <= width) out[last] += ` ${w}`
      else out.push(w)
    }
    return out
  }
  for (const p of parts.flatMap((x) => (x.length > width ? words(x) : [x]))) {
    const last = lines.length - 1
    if (last >= 0 && (lines[last] as string).length + 3 + p.length <= width) lines[last] += ` · ${p}`
    else lines.push(p)
  }
  return lines.join('\n')
}

/** Where a backend's curves part from the first backend's, and the likely cause: one line each. */
export function parityLines(rows: Summary[]): string[] {
  return rows.flatMap((r) => {
    const p = r.parity
    if (!p || p.ok) return []
    const part = p.curves.part
    const where = part ? `the loss curves part at epoch ${part.epoch} of ${part.trial}` : 'the runs differ'
    return [
      plain(
        `parity ✗ ${p.backends[1]} vs ${p.backends[0]}: ${where}; likely cause: ${p.cause} (dualfit parity)`,
      ),
    ]
  })
}

/** The lines under each table: what was compared. */
export function footer(rows: Summary[], width = Number.POSITIVE_INFINITY): string {
  const first = rows[0] as Summary
  const engines = rows.map(
    (r) => `${r.backend} on ${r.engine}${r.engineChosen ? ` (${r.engineChosen})` : ''}`,
  )
  const walls = rows.map((r) => `${r.backend} ${duration(r.wallMs)}`).join(', ')
  // User text (spec and file names, plugin ids) reaches the terminal: plain() strips its controls.
  return fold(
    [
      first.spec,
      `spec ${first.specHash.slice(0, 12)}`,
      dataLine(first.data),
      `seeds ${first.seeds.join(',')}${first.seeds.length > 1 ? ' (cells: median [min–max] over seeds)' : ''}`,
      ...engines,
      `wall: ${walls}`,
      ...(first.workers > 1 ? [`${first.workers} worker threads`] : []),
    ].map(plain),
    width,
  )
}

/** Which rows: how many, how many dropped for missing values, how many held out for test. */
export function dataLine(d: DataInfo): string {
  const parts = [`${plain(d.name)}: ${d.rows} rows`]
  if (d.dropped > 0) parts.push(`${d.dropped} dropped (missing)`)
  if (d.testRows > 0) parts.push(`${d.testRows} held out for test`)
  return parts.join(', ')
}

const BLOCKS = '▁▂▃▄▅▆▇█'

/** A one-line curve in Unicode blocks, on a log scale, resampled to at most `width` characters. */
export function sparkline(values: number[], width: number): string {
  const finite = values.filter((v) => Number.isFinite(v) && v > 0)
  if (finite.length === 0 || width < 1) return ''
  const n = Math.min(width, values.length)
  const logs = finite.map(Math.log10)
  const lo = Math.min(...logs)
  const hi = Math.max(...logs)
  let out = ''
  for (let i = 0; i < n; i++) {
    // The mean of the epochs this character covers.
    const a = Math.floor((i * values.length) / n)
    const b = Math.max(a + 1, Math.floor(((i + 1) * values.length) / n))
    const part = values.slice(a, b).filter((v) => Number.isFinite(v) && v > 0)
    if (part.length === 0) {
      out += '✗'
      continue
    }
    const v = Math.log10(part.reduce((s, x) => s + x, 0) / part.length)
    const level = hi === lo ? 0 : Math.round(((v - lo) / (hi - lo)) * (BLOCKS.length - 1))
    out += BLOCKS[level]
  }
  return out
}

/** One sparkline per backend: the final model's loss per epoch, log scale. */
export function curves(rows: Summary[], width: number): string {
  const label = Math.max(...rows.map((r) => plain(r.backend).length))
  const lines = rows
    .filter((r) => r.curve.length > 1)
    .map((r) => {
      const first = r.curve[0]
      const last = r.curve[r.curve.length - 1]
      const tail = ` ${num(first, 3)} → ${num(last, 3)}, ${r.curve.length} epochs`
      const room = Math.max(10, Math.min(60, width - label - tail.length - 2))
      return `${plain(r.backend).padEnd(label)}  ${sparkline(r.curve, room)}${tail}`
    })
  return lines.length > 0 ? `loss per epoch (log scale), final model:\n${lines.join('\n')}` : ''
}

export type Layout = 'wide' | 'tall' | 'auto'

/**
 * The terminal table within `width` characters: one row per backend when that fits (or `layout`
 * says so), else one row per measure; cells wrap when even that is too wide. Then the loss
 * sparklines and the footer.
 */
export function renderTable(rows: Summary[], o: { width?: number; layout?: Layout } = {}): string {
  const width = o.width ?? Number.POSITIVE_INFINITY
  const wide = tableRows(rows)
  let text = textTable(wide.head, wide.body)
  if (o.layout === 'tall' || (o.layout !== 'wide' && longest(text) > width)) {
    const tall = turn(wide)
    text = textTable(tall.head, tall.body, width)
  }
  const spark = curves(rows, Math.min(width, 100))
  const settings = settingsRows(rows)
  const defaults = settings ? textTable(settings.head, settings.body, width) : ''
  const parity = parityLines(rows)
  return [
    plain(rows[0]?.spec ?? ''),
    text,
    ...(spark ? [spark] : []),
    ...(parity.length > 0 ? [fold(parity, width)] : []),
    ...(defaults ? [defaults] : []),
    footer(rows, width),
  ].join('\n')
}

/**
 * Under init 'framework' each backend uses its own defaults: these rows show them side by side,
 * so that "the same model" differing out of the box has its reasons in view. Null otherwise, or
 * when no result says what it applied (older files).
 */
export function settingsRows(rows: Summary[]): { head: string[]; body: string[][] } | null {
  const known = rows.filter((r) => r.settings)
  if (rows[0]?.init !== 'framework' || known.length === 0) return null
  const eps = (r: Summary) => (r.settings?.epsilon ? String(r.settings.epsilon.value) : '— (not Adam)')
  const measures: [string, (r: Summary) => string][] = [
    ['initializer', (r) => r.settings?.initializer ?? ''],
    ['Adam epsilon', eps],
    ['Adam epsilon placement', (r) => r.settings?.epsilon?.placement ?? '—'],
    ['batch size', (r) => String(r.settings?.batchSize ?? '')],
    ['batch order', (r) => r.settings?.order ?? ''],
    ['loss reduction', (r) => r.settings?.lossReduction ?? ''],
  ]
  return {
    head: ['framework defaults in effect', ...known.map((r) => `${r.backend} (${r.engine})`)],
    body: measures.map(([label, cell]) => [label, ...known.map(cell)]),
  }
}

const longest = (text: string) => Math.max(...text.split('\n').map((l) => l.length))

function markdownTable({ head, body }: { head: string[]; body: string[][] }): string[] {
  const line = (cells: string[]) => `| ${cells.map(markdownCell).join(' | ')} |`
  return [line(head), `| ${head.map(() => '---').join(' | ')} |`, ...body.map(line), '']
}

export function renderMarkdown(rows: Summary[]): string {
  const settings = settingsRows(rows)
  return [
    `## ${markdownCell(rows[0]?.spec ?? '')}`,
    '',
    ...markdownTable(tableRows(rows)),
    ...parityLines(rows).flatMap((l) => [markdownLine(l), '']),
    ...(settings ? markdownTable(settings) : []),
    markdownLine(footer(rows)),
    '',
  ].join('\n')
}

/** text: user strings (neutralised as formulas); numbers: numbers joined by spaces, written as they are. */
type CsvKind = 'text' | 'numbers'
const CSV_COLUMNS: [string, (s: Summary) => unknown, CsvKind?][] = [
  ['spec', (s) => s.spec],
  ['spec_hash', (s) => s.specHash],
  ['backend', (s) => s.backend],
  ['engine', (s) => s.engine],
  ['seeds', (s) => s.seeds.join(' '), 'numbers'],
  ['selected', (s) => paramsLabel(s.selected)],
  ['score_kind', (s) => s.scoreKind],
  ['score_mean', (s) => s.score?.mean],
  ['score_sd', (s) => s.score?.sd],
  ['test_mse', (s) => s.testMse?.mean],
  ['data_rows', (s) => s.data.rows],
  ['data_dropped', (s) => s.data.dropped],
  ['data_test_rows', (s) => s.data.testRows],
  ['epochs_run', (s) => s.epochsRun?.mean],
  ['early_stop_epochs', (s) => s.earlyStop?.epochsRun.mean],
  ['early_stop_stopped', (s) => s.earlyStop?.stopped],
  ['final_loss', (s) => s.finalLoss?.mean],
  ['weight', (s) => s.weight?.mean],
  ['bias', (s) => s.bias?.mean],
  ['predict_x', (s) => s.prediction?.x.join(' '), 'numbers'],
  ['prediction', (s) => s.prediction?.y.mean],
  ['exact', (s) => s.prediction?.exact],
  ['abs_error', (s) => s.prediction?.absError?.mean],
  ['tolerance', (s) => s.tolerance],
  ['success', (s) => s.success?.ok],
  ['success_of', (s) => s.success?.of],
  ['to_quality_epochs', (s) => s.toQuality?.epochs?.median],
  ['to_quality_steps', (s) => s.toQuality?.steps?.median],
  ['to_quality_ms', (s) => s.toQuality?.ms?.median],
  ['parity_ok', (s) => s.parity?.ok],
  ['parity_curves', (s) => s.parity?.curves.max],
  ['parity_weights', (s) => s.parity?.weights.max],
  ['steps', (s) => s.steps],
  ['wall_ms', (s) => s.wallMs],
  ['us_per_step', (s) => s.usPerStep],
]

/** Numbers as JavaScript writes them (a negative one stays -0.5); text through csvText. */
function csvCell(v: unknown, kind: CsvKind = 'text'): string {
  if (v === undefined || v === null) return ''
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  const s = String(v)
  if (kind === 'numbers' && /^[-+0-9.eE a-zA-Z]*$/.test(s)) return s
  return csvText(s)
}

/** One row per (spec, backend), raw numbers. */
export function renderCsv(rows: Summary[]): string {
  const lines = [CSV_COLUMNS.map(([h]) => h).join(',')]
  for (const r of rows) lines.push(CSV_COLUMNS.map(([, f, kind]) => csvCell(f(r), kind)).join(','))
  return `${lines.join('\n')}\n`
}

/**
 * A plain terminal table, no colours (output is often piped or captured). With a `width`, columns
 * that would not fit share the room left by the first one, and their cells wrap.
 */
export function textTable(rawHead: string[], rawRows: string[][], width = Number.POSITIVE_INFINITY): string {
  // Cells may quote user text: no control character or escape sequence reaches the terminal.
  const head = rawHead.map(plain)
  const rows = rawRows.map((r) => r.map((c) => plain(String(c ?? ''))))
  const style = { head: [], border: [] }
  const table = new Table({ head, style })
  table.push(...rows)
  const text = table.toString()
  if (longest(text) <= width) return text
  // Shrink the widest column, one character at a time, until the line fits (borders: one per column + 1).
  const colWidths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)) + 2)
  const budget = width - head.length - 1
  for (let total = colWidths.reduce((a, b) => a + b, 0); total > budget; total--) {
    const widest = colWidths.indexOf(Math.max(...colWidths))
    if ((colWidths[widest] as number) <= 8) break
    colWidths[widest] = (colWidths[widest] as number) - 1
  }
  const t = new Table({ head, style, colWidths, wordWrap: true })
  t.push(...rows)
  return t.toString()
}
