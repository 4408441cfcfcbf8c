import { availableParallelism } from 'node:os'
import {
  type Device,
  type EngineInfo,
  type ExperimentResult,
  finalTrials,
  RESULTS_SCHEMA_VERSION,
  resolveEngine,
  runExperiment,
  searchTrials,
  workloadOf,
} from '@dualfit/core'
import { TrialPool } from '@dualfit/core/pool'
import { type Layout, renderCsv, renderMarkdown, renderTable, type Summary, summarize } from '@dualfit/report'
import { SingleBar } from 'cli-progress'
import type { Argv } from 'yargs'
import { choice, load, parseBackendList } from '../backends.js'
import { checkOutputDir, toJson, writeFiles } from '../io.js'
import { type Command, type Context, DEVICES, dataArgs, dataOptions, positiveInt } from '../options.js'
import { DATA_SPEC, type DataArgs, DEFAULT_SPECS, loadSpec } from '../spec.js'

const FORMATS = ['table', 'json', 'md', 'csv'] as const
export type Format = (typeof FORMATS)[number]

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
  /** Terminal tables: one row per backend (wide), one per measure (tall), or whichever fits (auto). */
  layout: Layout
  quiet: boolean
  signal: AbortSignal
}

export interface CompareOutput {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION
  kind: 'dualfit.compare'
  results: ExperimentResult[]
  summaries: Summary[]
}

/** stdout's columns on a terminal, else COLUMNS, else 100. */
export function terminalWidth(): number {
  const env = Number(process.env.COLUMNS)
  return process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : env > 0 ? env : 100
}

function render(format: Format, groups: Summary[][], output: CompareOutput, layout: Layout = 'auto'): string {
  switch (format) {
    case 'json':
      return toJson(output)
    case 'csv':
      return renderCsv(groups.flat())
    case 'md':
      return `# dualfit compare\n\n${groups.map(renderMarkdown).join('\n')}`
    default:
      return `${groups.map((g) => renderTable(g, { width: terminalWidth(), layout })).join('\n\n')}\n`
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
  for (const c of choices)
    backends.push({ name: c.name, backend: await load(c.name), choice: choice(c.engine, a.device) })
  // Per experiment: a backend may pick its engine by workload. All resolved before the first trial.
  const engines = []
  for (const exp of experiments) {
    const row = []
    for (const b of backends)
      row.push(await resolveEngine(b.backend, { ...b.choice, workload: workloadOf(exp) }))
    engines.push(row)
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
    for (const [e, exp] of experiments.entries()) {
      const group: Summary[] = []
      for (const [k, { name, backend }] of backends.entries()) {
        const engine = engines[e]?.[k] as EngineInfo
        const r = await runExperiment(exp, backend, engine, {
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
  return render(a.format, groups, output, a.layout)
}

export const compareCommand: Command = {
  name: 'compare',
  register: (y: Argv, ctx: Context) =>
    y.command(
      'compare',
      "Run experiment specs on several backends and compare them (default: the seed's two protocols on keras-style and torch-style)",
      (o) =>
        dataOptions(o)
          .option('spec', {
            type: 'string',
            array: true,
            describe: 'experiment spec file (JSON); repeatable',
          })
          .option('backends', {
            type: 'string',
            array: true,
            describe: 'backend names or packages, comma-separated or repeated; name:engine picks an engine',
          })
          .option('device', {
            choices: DEVICES,
            describe: 'run every backend on its preferred engine for this device',
          })
          .option('seeds', {
            coerce: positiveInt('seeds'),
            describe: "run seeds 0..N-1 instead of the spec's seeds",
          })
          .option('set', {
            type: 'string',
            array: true,
            describe: 'override a spec field, e.g. --set epochs=50',
          })
          .option('out', {
            type: 'string',
            describe: 'also write results.json, results.md and results.csv to this folder',
          })
          .option('workers', {
            coerce: positiveInt('workers'),
            default: 1,
            // Parallel trials share the CPUs, which inflates their per-step times: opt-in only.
            describe: `worker threads for trials (up to ${availableParallelism()} here); results are identical, per-step times less clean`,
          })
          .option('format', { choices: FORMATS, default: 'table' as Format, describe: 'stdout format' })
          .option('layout', {
            choices: ['auto', 'wide', 'tall'] as const,
            default: 'auto' as const,
            describe:
              'tables: a row per backend (wide), a row per measure (tall), or whichever fits the terminal',
          })
          .option('quiet', { type: 'boolean', default: false, describe: 'no progress bar' })
          .example('$0 compare', "the seed's two protocols on both backends")
          .example(
            '$0 compare --spec experiments/seed-torch.json --seeds 5 --device wasm',
            'five seeds on the wasm engines',
          )
          .example(
            '$0 compare --backends torch-style:cpu,torch-style:wasm --format md --out results/',
            'engines side by side, saved',
          )
          .example(
            '$0 compare --backends keras-style,torch-style,pytorch',
            'TF.js, ONNX Runtime and real PyTorch',
          )
          .example('$0 compare --workers 2', 'trials on two worker threads: faster, same results')
          .example(
            '$0 compare --data cars.csv --x Horsepower,Weight_in_lbs --y Miles_per_Gallon --drop-missing',
            'your data: a linear model, standardized, 20% held out for test, lr by 5-fold CV',
          ),
      (a) =>
        ctx.print(
          compare({
            ...dataArgs(a),
            ...(a.spec ? { spec: a.spec } : {}),
            ...(a.backends ? { backends: a.backends } : {}),
            ...(a.device ? { device: a.device as Device } : {}),
            ...(a.seeds !== undefined ? { seeds: a.seeds } : {}),
            ...(a.set ? { set: a.set } : {}),
            ...(a.out ? { out: a.out } : {}),
            workers: a.workers as number,
            format: a.format as Format,
            layout: a.layout,
            quiet: a.quiet,
            signal: ctx.signal,
          }),
        ),
    ),
}
