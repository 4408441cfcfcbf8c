import type { DataInfo } from '@dualfit/core'
import Table from 'cli-table3'
import { duration, micros, num, signed, stat } from './format.js'
import { paramsLabel, type Summary } from './summary.js'

interface Column {
  header: (first: Summary) => string
  cell: (s: Summary) => string
  /** The number behind the cell, for the difference row; absent for columns that don't subtract. */
  value?: (s: Summary) => number | null | undefined
  /** Show the difference as a duration and add the ratio. */
  time?: 'ms' | 'us'
}

const unit = (s: Summary) => s.prediction?.unitY ?? ''

const COLUMNS: Column[] = [
  { header: () => 'backend', cell: (s) => `${s.backend} (${s.engine})` },
  { header: () => 'selected', cell: (s) => paramsLabel(s.selected) || '—' },
  {
    header: (f) => (f.scoreKind === 'cv_mse' ? 'CV MSE (mean ± sd)' : 'grid score (final loss)'),
    cell: (s) => stat(s.score, 3),
    value: (s) => s.score?.mean,
  },
  { header: () => 'test MSE', cell: (s) => stat(s.testMse, 3), value: (s) => s.testMse?.mean },
  { header: () => 'epochs', cell: (s) => stat(s.epochsRun, 4), value: (s) => s.epochsRun?.mean },
  {
    header: () => 'early stop',
    cell: (s) => {
      const e = s.earlyStop
      if (!e) return '—'
      const what = e.runs === 1 ? (e.stopped ? 'stopped' : 'no stop') : `${e.stopped}/${e.runs} stopped`
      return `${num(e.epochsRun.mean, 4)} of ${e.maxEpochs} (${what})`
    },
    value: (s) => s.earlyStop?.epochsRun.mean,
  },
  {
    header: (f) => (f.scaledLoss ? 'final loss (standardized)' : 'final loss'),
    cell: (s) => stat(s.finalLoss, 3),
    value: (s) => s.finalLoss?.mean,
  },
  { header: () => 'weight', cell: (s) => stat(s.weight, 6), value: (s) => s.weight?.mean },
  { header: () => 'bias', cell: (s) => stat(s.bias, 4), value: (s) => s.bias?.mean },
  {
    header: (f) =>
      f.prediction
        ? `pred @ ${f.prediction.x.map((v) => num(v, 6)).join(', ')} ${f.prediction.unitX}`.trim()
        : 'prediction',
    cell: (s) => stat(s.prediction?.y ?? null, 6, unit(s)),
    value: (s) => s.prediction?.y.mean,
  },
  {
    header: () => '|error|',
    cell: (s) => stat(s.prediction?.absError ?? null, 3, unit(s)),
    value: (s) => s.prediction?.absError?.mean,
  },
  { header: () => 'steps', cell: (s) => s.steps.toLocaleString('en-US'), value: (s) => s.steps },
  { header: () => 'wall', cell: (s) => duration(s.wallMs), value: (s) => s.wallMs, time: 'ms' },
  { header: () => 'µs/step', cell: (s) => micros(s.usPerStep), value: (s) => s.usPerStep, time: 'us' },
]

/** Columns that carry information for this set of runs (a linear fit's weight and bias only when there is one). */
function columnsFor(rows: Summary[]): Column[] {
  return COLUMNS.filter((c) => {
    const h = c.header(rows[0] as Summary)
    if (h === 'weight' || h === 'bias') return rows.some((r) => r.weight !== null)
    if (h === '|error|') return rows.some((r) => r.prediction?.absError)
    if (h === 'test MSE') return rows.some((r) => r.testMse !== null)
    return true
  })
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

/** The line under each table: what was compared. */
export function footer(rows: Summary[]): string {
  const first = rows[0] as Summary
  const engines = rows
    .map((r) => `${r.backend} on ${r.engine}${r.engineChosen ? ` (${r.engineChosen})` : ''}`)
    .join(', ')
  const walls = rows.map((r) => `${r.backend} ${duration(r.wallMs)}`).join(', ')
  const workers = first.workers > 1 ? ` · ${first.workers} worker threads` : ''
  return `${first.spec} · spec ${first.specHash.slice(0, 12)} · ${dataLine(first.data)} · seeds ${first.seeds.join(',')} · ${engines} · wall: ${walls}${workers}`
}

/** Which rows: how many, how many dropped for missing values, how many held out for test. */
export function dataLine(d: DataInfo): string {
  const parts = [`${d.name}: ${d.rows} rows`]
  if (d.dropped > 0) parts.push(`${d.dropped} dropped (missing)`)
  if (d.testRows > 0) parts.push(`${d.testRows} held out for test`)
  return parts.join(', ')
}

export function renderTable(rows: Summary[]): string {
  const { head, body } = tableRows(rows)
  return `${rows[0]?.spec ?? ''}\n${textTable(head, body)}\n${footer(rows)}`
}

export function renderMarkdown(rows: Summary[]): string {
  const { head, body } = tableRows(rows)
  const esc = (s: string) => s.replaceAll('|', '\\|')
  const line = (cells: string[]) => `| ${cells.map(esc).join(' | ')} |`
  return [
    `## ${rows[0]?.spec ?? ''}`,
    '',
    line(head),
    line(head.map(() => '---')),
    ...body.map(line),
    '',
    footer(rows),
    '',
  ].join('\n')
}

const CSV_COLUMNS: [string, (s: Summary) => unknown][] = [
  ['spec', (s) => s.spec],
  ['spec_hash', (s) => s.specHash],
  ['backend', (s) => s.backend],
  ['engine', (s) => s.engine],
  ['seeds', (s) => s.seeds.join(' ')],
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
  ['predict_x', (s) => s.prediction?.x.join(' ')],
  ['prediction', (s) => s.prediction?.y.mean],
  ['exact', (s) => s.prediction?.exact],
  ['abs_error', (s) => s.prediction?.absError?.mean],
  ['steps', (s) => s.steps],
  ['wall_ms', (s) => s.wallMs],
  ['us_per_step', (s) => s.usPerStep],
]

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return ''
  const s = String(v)
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

/** One row per (spec, backend), raw numbers. */
export function renderCsv(rows: Summary[]): string {
  const lines = [CSV_COLUMNS.map(([h]) => h).join(',')]
  for (const r of rows) lines.push(CSV_COLUMNS.map(([, f]) => csvCell(f(r))).join(','))
  return `${lines.join('\n')}\n`
}

/** A plain terminal table, no colours (output is often piped or captured). */
export function textTable(head: string[], rows: string[][]): string {
  const t = new Table({ head, style: { head: [], border: [] } })
  t.push(...rows)
  return t.toString()
}
