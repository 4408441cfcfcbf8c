import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import {
  type Backend,
  type EngineInfo,
  type Experiment,
  type ExperimentResult,
  planSize,
  RESULTS_SCHEMA_VERSION,
  resolveEngine,
  runExperiment,
  runTrial,
  shardTrials,
  type Trial,
  type TrialResult,
  UserError,
  workloadOf,
} from '@dualfit/core'
import { TrialPool } from '@dualfit/core/pool'
import {
  type Layout,
  renderCsv,
  renderMarkdown,
  renderTable,
  type Summary,
  summarizeGroup,
} from '@dualfit/report'
import { SingleBar } from 'cli-progress'
import type { Argv } from 'yargs'
import { choice, load, parseBackendList } from '../backends.js'
import { toJson } from '../io.js'
import {
  difference,
  entryKey,
  JOURNAL,
  type JournalHeader,
  JournalWriter,
  readJournal,
  sameRuns,
} from '../journal.js'
import {
  type Command,
  type Context,
  checkPlan,
  type ExperimentArgs,
  experimentArgs,
  experimentOptions,
  LIMITS,
  parseShard,
  positiveInt,
} from '../options.js'
import { prepareOut, writeResultSet } from '../outdir.js'
import { DATA_SPEC, DEFAULT_SPECS, loadSpec } from '../spec.js'
import { reportFiles } from './report.js'

export const FORMATS = ['table', 'json', 'md', 'csv'] as const
export type Format = (typeof FORMATS)[number]

export interface CompareArgs extends ExperimentArgs, ExecuteArgs {}

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

/** One experiment on one backend and engine: the unit a run is made of. */
export interface Run {
  exp: Experiment
  name: string
  backend: Backend
  engine: EngineInfo
}

export interface ExecuteArgs {
  out?: string
  resume: boolean
  shard: { index: number; count: number } | null
  /** Start work over the size limits below without asking. */
  yes: boolean
  workers: number
  format: Format
  layout: Layout
  quiet: boolean
  signal: AbortSignal
  /** A line for stderr: the plan, and what an interruption kept. */
  note: (line: string) => void
}

export interface CompareResult {
  text: string
  /** Writes the result set into --out; called after the tables are printed, so a failed write loses none. */
  save: (() => Promise<unknown>) | null
}

export async function compare(a: CompareArgs): Promise<CompareResult> {
  // Validate everything before the first trial, so a typo fails in milliseconds.
  const specs = a.spec?.length ? a.spec : a.data ? [DATA_SPEC] : DEFAULT_SPECS
  const experiments = []
  for (const p of specs) experiments.push(await loadSpec(p, { ...a, set: a.set ?? [] }))
  const backends = []
  for (const c of parseBackendList(a.backends))
    backends.push({ name: c.name, backend: await load(c.name), choice: choice(c.engine, a.device) })
  try {
    // Per experiment: a backend may pick its engine by workload. All resolved before the first trial.
    const runs: Run[][] = []
    for (const exp of experiments) {
      const row: Run[] = []
      for (const b of backends) {
        const engine = await resolveEngine(b.backend, { ...b.choice, workload: workloadOf(exp) })
        row.push({ exp, name: b.name, backend: b.backend, engine })
      }
      runs.push(row)
    }
    // Every input is valid: now the output folder (it will hold the journal).
    if (a.out) prepareOut(a.out)
    return await execute(runs, a)
  } finally {
    for (const { backend } of backends) await backend.dispose()
  }
}

function headerOf(runs: Run[][], shard: ExecuteArgs['shard']): JournalHeader {
  return {
    kind: 'dualfit.journal',
    version: 1,
    runs: runs.flat().map((r) => ({
      specHash: r.exp.specHash,
      name: r.exp.spec.name,
      source: r.exp.source,
      baseDir: r.exp.baseDir,
      raw: r.exp.raw,
      backend: r.name,
      engine: r.engine.id,
    })),
    shard,
  }
}

/** The journal to write into, and the trials it already holds (--resume). */
function openJournal(out: string, header: JournalHeader, resume: boolean) {
  const path = join(out, JOURNAL)
  const found = readJournal(out)
  if (resume) {
    if (!found) throw new UserError(`--resume: '${out}' holds no journal to continue (${JOURNAL})`)
    if (
      !sameRuns(found.header, header) ||
      JSON.stringify(found.header.shard) !== JSON.stringify(header.shard)
    ) {
      throw new UserError(`--resume: '${path}' is another run's journal: ${difference(found.header, header)}`)
    }
    const finished = new Map(found.entries.map((e) => [entryKey(e.specHash, e.backend, e.trial.id), e.trial]))
    return { writer: JournalWriter.continue(path), finished }
  }
  if (found && !existsSync(join(out, 'results.json'))) {
    throw new UserError(
      `--out '${out}': holds the journal of an unfinished run; add --resume to continue it, or name another folder`,
    )
  }
  return { writer: JournalWriter.start(path, header), finished: new Map<string, TrialResult>() }
}

/** Runs planned experiment x backend pairs, journaled when there is an --out; shards stop after their slice. */
export async function execute(runs: Run[][], a: ExecuteArgs): Promise<CompareResult> {
  const sizes = runs.flat().map((r) => planSize(r.exp))
  const share = a.shard ? a.shard.count : 1
  const trials = Math.ceil(sizes.reduce((n, s) => n + s.trials, 0) / share)
  const steps = Math.ceil(sizes.reduce((n, s) => n + s.steps, 0) / share)
  const what = `${runs.length} spec(s) x ${runs[0]?.length ?? 0} backend(s)${a.shard ? `, shard ${a.shard.index}/${a.shard.count}` : ''}`
  checkPlan(what, trials, steps, a.yes, a.note)
  const journal = a.out ? openJournal(a.out, headerOf(runs, a.shard), a.resume) : null
  const bar =
    process.stderr.isTTY && !a.quiet
      ? new SingleBar({
          format: 'dualfit compare [{bar}] {value}/{total} trials · {what}',
          stream: process.stderr,
        })
      : null
  bar?.start(trials, 0, { what: '' })
  const pool = a.workers > 1 ? new TrialPool(a.workers, [import.meta.url]) : null
  const results: ExperimentResult[] = []
  const groups: Summary[][] = []
  let fresh = 0
  try {
    for (const row of runs) {
      const group: ExperimentResult[] = []
      for (const { exp, name, backend, engine } of row) {
        const inner = pool
          ? pool.runner(exp, name, engine.id)
          : (t: Trial) => runTrial(exp, t, backend, engine.id, a.signal)
        // A trial the journal holds is not run again; a new one is journaled as it finishes.
        const run = async (t: Trial) => {
          const known = journal?.finished.get(entryKey(exp.specHash, name, t.id))
          if (known) return known
          const r = await inner(t)
          journal?.writer.append({ specHash: exp.specHash, backend: name, trial: r })
          fresh++
          return r
        }
        const onTrial = () => bar?.increment({ what: `${exp.spec.name} on ${backend.id}` })
        if (a.shard) {
          for (const t of shardTrials(exp, a.shard)) {
            a.signal.throwIfAborted()
            await run(t)
            onTrial()
          }
          continue
        }
        const r = await runExperiment(exp, backend, engine, {
          signal: a.signal,
          run,
          ...(pool ? { concurrency: pool.workers } : {}),
          onTrial,
        })
        results.push(r)
        group.push(r)
      }
      // Each backend after the first also gets its parity against the first.
      if (group.length > 0) groups.push(summarizeGroup(group))
    }
  } finally {
    bar?.stop()
    await pool?.destroy()
    journal?.writer.close()
    if (a.signal.aborted && a.out && journal) {
      const kept = journal.finished.size + fresh
      a.note(`${kept} finished trial(s) kept in ${join(a.out, JOURNAL)}; --resume continues the run`)
    }
  }
  if (a.shard) {
    const text = `shard ${a.shard.index}/${a.shard.count}: ${fresh} trial(s) run${journal && journal.finished.size > 0 ? `, ${journal.finished.size} from the journal` : ''}${a.out ? `, journaled in ${join(a.out, JOURNAL)}; combine the shards with dualfit merge` : ''}\n`
    return { text, save: null }
  }
  const output: CompareOutput = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    kind: 'dualfit.compare',
    results,
    summaries: groups.flat(),
  }
  const out = a.out
  return {
    text: render(a.format, groups, output, a.layout),
    save: out
      ? async () =>
          writeResultSet(out, {
            'results.json': toJson(output),
            'results.md': render('md', groups, output),
            'results.csv': render('csv', groups, output),
            // charts/ (SVG, PNG), models/ (ONNX), ort/ and report.html: see report.ts
            ...(await reportFiles(results, [...new Set(runs.flat().map((r) => r.exp.baseDir))])).files,
          })
      : null,
  }
}

export const compareCommand: Command = {
  name: 'compare',
  register: (y: Argv, ctx: Context) =>
    y.command(
      'compare',
      "Run experiment specs on several backends and compare them (default: the seed's two protocols on keras-style and torch-style)",
      (o) =>
        experimentOptions(o)
          .option('out', {
            type: 'string',
            describe:
              'also write results.json, results.md, results.csv, charts/ (SVG, PNG), models/ (ONNX) and report.html to this folder',
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
          .option('resume', {
            type: 'boolean',
            default: false,
            describe:
              "continue an interrupted run from --out's journal.jsonl, without re-running finished trials",
          })
          .option('shard', {
            coerce: parseShard,
            describe:
              'i/n: run only the i-th of n deterministic slices of the trials (0-based); see dualfit merge',
          })
          .option('yes', {
            type: 'boolean',
            default: false,
            describe: `start a run over ${LIMITS.trials.toLocaleString('en-US')} trials or ${LIMITS.steps.toLocaleString('en-US')} steps without asking`,
          })
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
        ctx.finish(
          compare({
            ...experimentArgs(a),
            ...(a.out ? { out: a.out } : {}),
            resume: a.resume,
            shard: a.shard ?? null,
            yes: a.yes,
            workers: a.workers as number,
            format: a.format as Format,
            layout: a.layout,
            quiet: a.quiet,
            signal: ctx.signal,
            note: ctx.note,
          }),
        ),
    ),
}
