import {
  type Device,
  type ExperimentResult,
  finalTrials,
  RESULTS_SCHEMA_VERSION,
  runExperiment,
  searchTrials,
} from '@dualfit/core'
import { TrialPool } from '@dualfit/core/pool'
import { renderCsv, renderMarkdown, renderTable, type Summary, summarize } from '@dualfit/report'
import { SingleBar } from 'cli-progress'
import { load, parseBackendList, pickEngine } from '../backends.js'
import { checkOutputDir, toJson, writeFiles } from '../io.js'
import { DATA_SPEC, type DataArgs, DEFAULT_SPECS, loadSpec } from '../spec.js'

export type Format = 'table' | 'json' | 'md' | 'csv'

export interface CompareArgs extends DataArgs {
  spec?: string[]
  backends?: string[]
  device?: Device
  seeds?: number
  set?: string[]
  out?: string
  /** Worker threads for trials; 1 runs them in this process. */
  workers: number
  format: Format
  quiet: boolean
  signal: AbortSignal
}

export interface CompareOutput {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION
  kind: 'dualfit.compare'
  results: ExperimentResult[]
  summaries: Summary[]
}

function render(format: Format, groups: Summary[][], output: CompareOutput): string {
  switch (format) {
    case 'json':
      return toJson(output)
    case 'csv':
      return renderCsv(groups.flat())
    case 'md':
      return `# dualfit compare\n\n${groups.map(renderMarkdown).join('\n')}`
    default:
      return `${groups.map(renderTable).join('\n\n')}\n`
  }
}

export async function compare(a: CompareArgs): Promise<string> {
  // Validate everything before the first trial, so a typo fails in milliseconds.
  const specs = a.spec?.length ? a.spec : a.data ? [DATA_SPEC] : DEFAULT_SPECS
  const experiments = []
  for (const p of specs) experiments.push(await loadSpec(p, { ...a, set: a.set ?? [] }))
  if (a.out) checkOutputDir(a.out, '--out')
  const choices = parseBackendList(a.backends)
  const backends = []
  for (const c of choices) {
    const backend = await load(c.name)
    backends.push({ name: c.name, backend, engine: await pickEngine(backend, a.device, c.engine) })
  }
  const bar =
    process.stderr.isTTY && !a.quiet
      ? new SingleBar({
          format: 'dualfit compare [{bar}] {value}/{total} trials · {what}',
          stream: process.stderr,
        })
      : null
  const perBackend = experiments.reduce((n, e) => n + searchTrials(e).length + finalTrials(e, 0).length, 0)
  bar?.start(perBackend * backends.length, 0, { what: '' })
  const pool = a.workers > 1 ? new TrialPool(a.workers, [import.meta.url]) : null
  const results: ExperimentResult[] = []
  const groups: Summary[][] = []
  try {
    for (const exp of experiments) {
      const group: Summary[] = []
      for (const { name, backend, engine } of backends) {
        const r = await runExperiment(exp, backend, engine.id, {
          signal: a.signal,
          ...(pool ? { run: pool.runner(exp, name, engine.id), concurrency: pool.workers } : {}),
          onTrial: () => bar?.increment({ what: `${exp.spec.name} on ${backend.id}` }),
        })
        results.push(r)
        group.push(summarize(r))
      }
      groups.push(group)
    }
  } finally {
    bar?.stop()
    await pool?.destroy()
    for (const { backend } of backends) await backend.dispose()
  }
  const output: CompareOutput = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    kind: 'dualfit.compare',
    results,
    summaries: groups.flat(),
  }
  if (a.out) {
    await writeFiles(a.out, {
      'results.json': toJson(output),
      'results.md': render('md', groups, output),
      'results.csv': render('csv', groups, output),
    })
  }
  return render(a.format, groups, output)
}
