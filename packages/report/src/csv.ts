/** The CSV table (results.csv): one row per (spec, backend), raw numbers. */
import { csvFields } from './columns.js'
import { csvText } from './format.js'
import type { Summary } from './summary.js'

/**
 * Numbers as JavaScript writes them (a negative one stays -0.5); a list of numbers joined by
 * spaces, and a list of lists (one per report input) joined by ';', as they are unless they hold
 * more than number characters; text through csvText.
 */
function csvCell(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  if (!Array.isArray(v)) return csvText(String(v))
  const s = v.map((x) => (Array.isArray(x) ? x.join(' ') : String(x))).join(v.some(Array.isArray) ? ';' : ' ')
  return /^[-+0-9.eE a-zA-Z;]*$/.test(s) ? s : csvText(s)
}

/** One row per (spec, backend), raw numbers. */
export function renderCsv(rows: Summary[]): string {
  const fields = csvFields(rows)
  const lines = [fields.map(([h]) => h).join(',')]
  for (const r of rows) lines.push(fields.map(([, f]) => csvCell(f(r))).join(','))
  return `${lines.join('\n')}\n`
}
