/** The terminal table, with loss sparklines and the lines under it. */
import Table from 'cli-table3'
import { fold, footer, parityLines } from './footer.js'
import { num, plain } from './format.js'
import { confusionTables, settingsRows, tableRows, turn } from './rows.js'
import { rowNames, type Summary } from './summary.js'

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
  const names = rowNames(rows).map(plain)
  const label = Math.max(...names.map((n) => n.length))
  const lines = rows
    .flatMap((r, i) => (r.curve.length > 1 ? [{ r, name: names[i] as string }] : []))
    .map(({ r, name }) => {
      const first = r.curve[0]
      const last = r.curve[r.curve.length - 1]
      const tail = ` ${num(first, 3)} → ${num(last, 3)}, ${r.curve.length} epochs`
      const room = Math.max(10, Math.min(60, width - label - tail.length - 2))
      return `${name.padEnd(label)}  ${sparkline(r.curve, room)}${tail}`
    })
  return lines.length > 0 ? `loss per epoch (log scale), final model:\n${lines.join('\n')}` : ''
}

export type Layout = 'wide' | 'tall' | 'auto'

/**
 * The terminal table within `width` characters: one row per backend when that fits (or `layout`
 * says so), else one row per measure; cells wrap when even that is too wide. Then a classifier's
 * confusion matrices, the loss sparklines and the footer.
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
  const confusion = confusionTables(rows).map(
    (t) => `${wrapLine(plain(t.title), width, 2)}\n${textTable(t.head, t.body, width, true)}`,
  )
  return [
    plain(rows[0]?.spec ?? ''),
    text,
    ...confusion,
    ...(spark ? [spark] : []),
    ...(parity.length > 0 ? [fold(parity, width)] : []),
    ...(defaults ? [defaults] : []),
    footer(rows, width),
  ].join('\n')
}

/** The widest line of a block of text, in characters. */
export const longest = (text: string) => Math.max(...text.split('\n').map((l) => l.length))

/**
 * A plain terminal table, no colours (output is often piped or captured). With a `width`, columns
 * that would not fit share the room left by the first one, and their cells wrap. `compact`: no rule
 * between body rows (a grid of numbers reads better without).
 */
export function textTable(
  rawHead: string[],
  rawRows: string[][],
  width = Number.POSITIVE_INFINITY,
  compact = false,
): string {
  // Cells may quote user text: no control character or escape sequence reaches the terminal.
  const head = rawHead.map(plain)
  const rows = rawRows.map((r) => r.map((c) => plain(String(c ?? ''))))
  const style = { head: [], border: [], compact }
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
  // cli-table3 cuts a word longer than its column with '…': split it so that all of it shows.
  const fit = (r: string[]) => r.map((c, i) => breakWords(c, (colWidths[i] as number) - 2))
  const t = new Table({ head: fit(head), style, colWidths, wordWrap: true })
  t.push(...rows.map(fit))
  return t.toString()
}

/** Words longer than `max` split into pieces of `max` characters, each then on a line of its own. */
function breakWords(text: string, max: number): string {
  return text.replace(new RegExp(`\\S{${max + 1},}`, 'g'), (w) =>
    (w.match(new RegExp(`.{1,${max}}`, 'g')) ?? []).join(' '),
  )
}

/**
 * A line of text within `width` characters: broken at spaces, continued on lines indented by
 * `indent` spaces; a word longer than a line is split.
 */
export function wrapLine(line: string, width: number, indent = 0): string {
  if (line.length <= width) return line
  const pad = ' '.repeat(Math.min(indent, Math.floor(width / 2)))
  const room = width - pad.length
  const lines: string[] = []
  for (const token of breakWords(line, room).match(/\s*\S+/g) ?? []) {
    const last = lines.length - 1
    if (last >= 0 && `${lines[last]}${token}`.length <= width) lines[last] += token
    else lines.push(last < 0 ? token : pad + token.trimStart())
  }
  return lines.join('\n')
}

/** stdout's columns on a terminal, else COLUMNS, else 100. */
export function terminalWidth(): number {
  const env = Number(process.env.COLUMNS)
  return process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : env > 0 ? env : 100
}
