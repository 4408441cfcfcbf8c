/** The text a bench run prints: a table per suite, the engines not run, a footer, the target lines. */
import { renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { cleanDeadTemps, makeDirs, tempName } from '@dualfit/core'
import { longest, textTable, wrapLine } from '@dualfit/report'
import { formatRatio, formatValue, ratioCell } from './ratio.js'
import { type BenchDocument, footerLine } from './schema.js'
import { formatTarget } from './targets.js'
import { type BenchRow, SUITE_NAMES, type SuiteName } from './types.js'

interface SuiteInfo {
  title: string
  value: string
  /** Whether rows have a PyTorch counterpart (columns PyTorch and dualfit / PyTorch). */
  pytorch: boolean
}

export const SUITE_INFO: Record<SuiteName, SuiteInfo> = {
  step: {
    title:
      'step: µs per optimizer step on the seed data (7 rows), Adam lr 0.01; median of timed chunks after a warm-up. PyTorch: zero_grad/forward/backward/step/item, 1 thread',
    value: 'per step',
    pytorch: true,
  },
  protocols: {
    title:
      "protocols: wall time of the seed's two protocols through core (prepareExperiment + runExperiment, as compare). PyTorch: the same protocols as plain loops; information, no target",
    value: 'wall',
    pytorch: true,
  },
  scaling: {
    title:
      'scaling: time per epoch (training time / epochs), Adam lr 0.01, MSE, shuffled, init torch, x uniform in [0, 20], y = 3.28084 x; a fresh process per figure. bare loop: the same work on the engine alone (keras-style: TF.js model.fit; torch-style: ORT session.run of the same graph); overhead = dualfit / bare loop, what dualfit adds (the target); engine/PyTorch = bare loop / PyTorch, what the engine costs (a finding, not judged)',
    value: 'per epoch',
    pytorch: true,
  },
  startup: {
    title:
      'startup: a fresh process until its first finished trial (dualfit train --set epochs=1; python: import torch + one step)',
    value: 'to exit',
    pytorch: true,
  },
  memory: {
    title:
      "memory: peak RSS of each measured process (process.resourceUsage().maxRSS; PyTorch: ru_maxrss); scaling rows also the bare engine loop's process",
    value: 'peak RSS',
    pytorch: true,
  },
  parallel: {
    title:
      'parallel: the seed-keras grid on 2 worker threads (core TrialPool) vs in-process, results compared timings aside',
    value: 'speedup',
    pytorch: false,
  },
  distributed: {
    title:
      "distributed: the seed-keras grid through compare --queue (a local redis-server), 2 workers vs 1, and the queue's overhead per trial vs in-process",
    value: 'speedup / ms',
    pytorch: false,
  },
}

/** A column of a suite's table: its heading and each row's cell. */
type Column = [head: string, cell: (r: BenchRow) => string]

/**
 * The columns of rows measured next to the engine's bare loop (scaling and its memory rows):
 * dualfit / PyTorch is their product, so it gives way to them.
 */
const BARE_COLUMNS: Column[] = [
  ['bare loop', (r) => (r.bare === undefined ? '' : formatValue(r.bare, r.unit))],
  ['overhead', (r) => (r.bare === undefined ? '' : formatRatio(r.overhead ?? null, r.bareWhy, 3))],
  ['engine/PyTorch', (r) => (r.bare === undefined ? '' : formatRatio(r.engineRatio ?? null))],
]

// A failed run's message is one line: a line break would open an empty-looking row in the table.
const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ')
const noteOf = (r: BenchRow) => oneLine(r.error ?? r.notes ?? '')
const engineCell = (r: BenchRow) =>
  `${r.engine}${r.software ? ` (${r.software})` : ''}${r.default ? ' *' : ''}`

function columnsOf(suite: SuiteName, rows: readonly BenchRow[]): Column[] {
  const info = SUITE_INFO[suite]
  const bare = rows.some((r) => r.bare !== undefined)
  return [
    ['backend', (r) => r.backend],
    ['engine', engineCell],
    ['case', (r) => r.case],
    [info.value, (r) => (r.error !== undefined ? 'failed' : formatValue(r.value, r.unit))],
    ...(info.pytorch ? ([['PyTorch', (r) => formatValue(r.pytorch, r.unit)]] as Column[]) : []),
    ...(bare ? BARE_COLUMNS : []),
    ...(info.pytorch && !bare ? ([['dualfit / PyTorch', ratioCell]] as Column[]) : []),
    ...(rows.some((r) => noteOf(r) !== '') ? ([['notes', noteOf]] as Column[]) : []),
  ]
}

const tableOf = (cols: Column[], rows: readonly BenchRow[], width?: number) =>
  textTable(
    cols.map(([h]) => h),
    rows.map((r) => cols.map(([, cell]) => cell(r))),
    width,
  )

/**
 * A suite's table within `width`: one table when it fits, else (as compare turns its table) one
 * table per case under the case's name, the notes as lines under it, cells wrapped to the width.
 */
function suiteTable(suite: SuiteName, rows: readonly BenchRow[], width: number): string {
  const cols = columnsOf(suite, rows)
  const title = wrapLine(SUITE_INFO[suite].title, width, 2)
  const wide = tableOf(cols, rows)
  if (longest(wide) <= width) return `${title}\n${wide}`
  const narrow = cols.filter(([h]) => h !== 'case' && h !== 'notes')
  const parts = [...new Set(rows.map((r) => r.case))].map((c) => {
    const of = rows.filter((r) => r.case === c)
    const notes = of
      .filter((r) => noteOf(r) !== '')
      .map((r) => wrapLine(`  ${r.backend} ${engineCell(r)}: ${noteOf(r)}`, width, 4))
    return [wrapLine(c, width, 2), tableOf(narrow, of, width), ...notes].join('\n')
  })
  return [title, ...parts].join('\n')
}

/**
 * Tables for the suites that ran (in canonical order), then skipped engines, footer and targets,
 * every line within `width` characters.
 */
export function renderText(doc: BenchDocument, width = Number.POSITIVE_INFINITY): string {
  const parts: string[] = []
  for (const suite of SUITE_NAMES) {
    if (!doc.options.suites.includes(suite)) continue
    const rows = doc.rows.filter((r) => r.suite === suite)
    parts.push(
      rows.length > 0
        ? suiteTable(suite, rows, width)
        : `${wrapLine(SUITE_INFO[suite].title, width, 2)}\n(no rows)`,
    )
  }
  const lines = [parts.join('\n\n'), '* the engine dualfit compare picks for this --device: targets judge it']
  for (const s of new Set(doc.rows.flatMap((r) => (r.software ? [r.software] : []))))
    lines.push(
      `(${s}): a software GPU adapter (Vulkan on the CPU): correct, not fast; its rows are never judged`,
    )
  if (doc.options.device !== 'all') for (const s of doc.skipped) lines.push(`skipped ${s}`)
  lines.push(footerLine(doc))
  if (doc.options.check) {
    lines.push('', ...doc.targets.map(formatTarget))
    if (doc.options.quick)
      lines.push(
        "(--quick: judged on the smoke run's smaller workloads; the targets are meant for full runs)",
      )
  }
  const text = lines.join('\n').split('\n')
  return `${text.map((l) => wrapLine(l, width, 6)).join('\n')}\n`
}

/** Writes through a temp file and a rename in the same folder, so a reader never sees half a file. */
export function writeAtomic(path: string, text: string): void {
  makeDirs(dirname(path))
  cleanDeadTemps(dirname(path))
  const tmp = tempName(path)
  try {
    writeFileSync(tmp, text)
    renameSync(tmp, path)
  } catch (e) {
    rmSync(tmp, { force: true })
    throw e
  }
}
