/** dualfit / PyTorch ratios, and the way rows print them. Pure. */
import { duration, num } from '@dualfit/report'
import type { BenchRow, Unit } from './types.js'

/** a / b when both are finite and b > 0; null otherwise (a missing figure is not a ratio of 0 or ∞). */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined) return null
  if (!Number.isFinite(a) || !Number.isFinite(b) || b <= 0 || a < 0) return null
  return a / b
}

/**
 * '0.42x', '1.5x', '29.8x' (`digits` significant digits, 3 for a figure judged against a limit
 * such as 1.15); an empty ratio says why: '— (no torch for /usr/bin/python3)'.
 */
export function formatRatio(r: number | null, why?: string, digits?: number): string {
  if (r !== null && Number.isFinite(r)) return `${num(r, digits ?? (r < 10 ? 2 : 3))}x`
  return why ? `— (${why})` : '—'
}

/** A figure with its unit, for a table cell: '45.9 µs', '218 ms', '3.28 s', '1,350 MB', '1.92x'. */
export function formatValue(v: number | null | undefined, unit: Unit): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  switch (unit) {
    case 'x':
      return `${num(v, 3)}x`
    case 'MB':
      return `${v >= 1000 ? Math.round(v).toLocaleString('en-US') : num(v, 3)} MB`
    case 'µs/step':
      return duration(v / 1000)
    default:
      // A difference of two times (the queue's cost per trial) can come out below zero.
      return v < 0 ? `-${duration(-v)}` : duration(v)
  }
}

/** A row with its ratios filled in from its figures: vs PyTorch, and, with a bare loop, overhead and engine's ratio. */
export function withRatio(row: Omit<BenchRow, 'ratio' | 'overhead' | 'engineRatio'>): BenchRow {
  const base = { ...row, ratio: ratio(row.value, row.pytorch) }
  if (row.bare === undefined) return base
  return { ...base, overhead: ratio(row.value, row.bare), engineRatio: ratio(row.bare, row.pytorch) }
}

/** The ratio cell of a row: the ratio, or why there is none (the run failed, or PyTorch is missing). */
export function ratioCell(row: BenchRow): string {
  if (row.ratio !== null) return formatRatio(row.ratio)
  if (row.error) return formatRatio(null, 'dualfit run failed')
  return formatRatio(null, row.pytorchWhy ?? 'no PyTorch figure')
}
