/** The text a bench run prints: a table per suite, the engines not run, a footer, the target lines. */
import { renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { cleanDeadTemps, makeDirs, tempName } from '@dualfit/core'
import { textTable } from '@dualfit/report'
import { formatValue, ratioCell } from './ratio.js'
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
      "protocols: wall time of the seed's two protocols through core (prepareExperiment + runExperiment, as compare). PyTorch: the same protocols as plain loops",
    value: 'wall',
    pytorch: true,
  },
  scaling: {
    title:
      'scaling: time per epoch (training time / epochs), Adam lr 0.01, MSE, shuffled, init torch, x uniform in [0, 20], y = 3.28084 x; a fresh process per row',
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
    title: 'memory: peak RSS of each measured process (process.resourceUsage().maxRSS; PyTorch: ru_maxrss)',
    value: 'peak RSS',
    pytorch: true,
  },
  parallel: {
    title:
      'parallel: the seed-keras grid on 2 worker threads (core TrialPool) vs in-process, results compared timings aside',
    value: 'speedup',
    pytorch: false,
  },
}

function suiteTable(suite: SuiteName, rows: readonly BenchRow[]): string {
  const info = SUITE_INFO[suite]
  const notes = rows.some((r) => r.error !== undefined || r.notes)
  const head = [
    'backend',
    'engine',
    'case',
    info.value,
    ...(info.pytorch ? ['PyTorch', 'dualfit / PyTorch'] : []),
    ...(notes ? ['notes'] : []),
  ]
  const body = rows.map((r) => [
    r.backend,
    r.default ? `${r.engine} (compare's pick)` : r.engine,
    r.case,
    r.error !== undefined ? 'failed' : formatValue(r.value, r.unit),
    ...(info.pytorch ? [formatValue(r.pytorch, r.unit), ratioCell(r)] : []),
    ...(notes ? [r.error !== undefined ? r.error : (r.notes ?? '')] : []),
  ])
  return `${info.title}\n${textTable(head, body)}`
}

/** Tables for the suites that ran (in canonical order), then skipped engines, footer and targets. */
export function renderText(doc: BenchDocument): string {
  const parts: string[] = []
  for (const suite of SUITE_NAMES) {
    if (!doc.options.suites.includes(suite)) continue
    const rows = doc.rows.filter((r) => r.suite === suite)
    parts.push(rows.length > 0 ? suiteTable(suite, rows) : `${SUITE_INFO[suite].title}\n(no rows)`)
  }
  const lines = [parts.join('\n\n')]
  if (doc.options.device !== 'all') for (const s of doc.skipped) lines.push(`skipped ${s}`)
  lines.push(footerLine(doc))
  if (doc.options.check) {
    lines.push('', ...doc.targets.map(formatTarget))
    if (doc.options.quick)
      lines.push(
        "(--quick: judged on the smoke run's smaller workloads; the targets are meant for full runs)",
      )
  }
  return `${lines.join('\n')}\n`
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
