/** The lines under a table: where backends part, and what was compared. */
import { calibrationText, type DataInfo } from '@dualfit/core'
import { duration, plain } from './format.js'
import { rowNames, type Summary } from './summary.js'

/** Folds ` · `-separated parts into lines of at most `width` characters (a long part breaks at spaces). */
export function fold(parts: string[], width: number): string {
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
  const names = rowNames(rows)
  return rows.flatMap((r, i) => {
    const p = r.parity
    if (p?.verdict === 'noise')
      return [plain(`parity ✓ ${names[i]} vs ${names[0]}: ${calibrationText(p)[0]} (dualfit parity)`)]
    if (!p || p.ok) return []
    const part = p.curves.part
    const where = part ? `the loss curves part at epoch ${part.epoch} of ${part.trial}` : 'the runs differ'
    return [plain(`parity ✗ ${names[i]} vs ${names[0]}: ${where}; likely cause: ${p.cause} (dualfit parity)`)]
  })
}

/** Selection ranks points by the mean score, so its cell is the mean, not a median. */
const SCORE_CELL = 'scores mean ± sd (as selection ranks them)'

/** The lines under each table: what was compared. */
export function footer(rows: Summary[], width = Number.POSITIVE_INFINITY): string {
  const first = rows[0] as Summary
  const engines = rows.map(
    (r) => `${r.backend} on ${r.engine}${r.engineChosen ? ` (${r.engineChosen})` : ''}`,
  )
  const names = rowNames(rows)
  const walls = rows.map((r, i) => `${names[i]} ${duration(r.wallMs)}`).join(', ')
  // User text (spec and file names, plugin ids) reaches the terminal: plain() strips its controls.
  return fold(
    [
      first.spec,
      `spec ${first.specHash.slice(0, 12)}`,
      dataLine(first.data),
      `seeds ${first.seeds.join(',')}`,
      ...(first.seeds.length > 1 ? [`cells: median [min–max] over seeds, ${SCORE_CELL}`] : []),
      ...engines,
      `wall: ${walls}`,
      ...(first.workers > 1 ? [`${first.workers} worker threads`] : []),
    ].map(plain),
    width,
  )
}

/** Which rows: how many, how many dropped for missing values, how many held out for test; a classifier's classes. */
export function dataLine(d: DataInfo): string {
  const parts = [`${plain(d.name)}: ${d.rows} rows`]
  if (d.dropped > 0) parts.push(`${d.dropped} dropped (missing)`)
  if (d.testRows > 0) parts.push(`${d.testRows} held out for test`)
  if (d.classes) parts.push(`${d.classes.length} classes`)
  return parts.join(', ')
}
