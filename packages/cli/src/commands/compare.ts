import { existsSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { buildReport } from '@dualfit/charts'
import {
  type Dataset,
  type ExperimentResult,
  RESULTS_SCHEMA_VERSION,
  runExperiment,
  runTrial,
  shardTrials,
  type Trial,
  UserError,
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
import { parseBackendList } from '../backends.js'
import { pathOption, toJson } from '../io.js'
import {
  checkEntries,
  difference,
  entryKey,
  JOURNAL,
  type JournalEntry,
  type JournalHeader,
  JournalWriter,
  NEXT_JOURNAL,
  readJournal,
  sameRuns,
} from '../journal.js'
import {
  type Command,
  type Context,
  checkPlan,
  type ExecuteFlags,
  type ExperimentArgs,
  executeArgs,
  executeOptions,
  experimentArgs,
  experimentOptions,
  type Format,
  parseShard,
  planGuard,
  planWhat,
} from '../options.js'
import { prepareOut, writeResultSet } from '../outdir.js'
import { planRuns, planTotals, type Run } from '../runs.js'

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

export interface ExecuteArgs extends ExecuteFlags {
  out?: string
  /** Continue --out's unfinished journal: true (--resume), 'if-any' (merge: when there is one). */
  resume: boolean | 'if-any'
  /** Finished trials to journal before running (merge: the shards'), checked already. */
  known?: JournalEntry[]
  /** How to continue after an interruption, for the note. */
  again?: string
  shard: { index: number; count: number } | null
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
  // Both live in --out's journal: without one they would do nothing, silently.
  if (!a.out && a.resume) throw new UserError('--resume: name the folder of the run to continue with --out')
  if (!a.out && a.shard) throw new UserError("--shard: name a folder for the shard's journal with --out")
  const choices = parseBackendList(a.backends)
  const { runs, backends } = await planRuns(a, choices, (specs) =>
    planGuard(specs, choices.length, a.shard, a.yes, a.note),
  )
  try {
    // Every input is valid: now the output folder (it will hold the journal).
    if (a.out) prepareOut(a.out)
    return await execute(runs, a)
  } finally {
    for (const b of backends) await b.dispose()
  }
}

function headerOf(runs: Run[][], shard: ExecuteArgs['shard']): JournalHeader {
  return {
    kind: 'dualfit.journal',
    version: 2,
    runs: runs.flat().map((r) => ({
      specHash: r.exp.specHash,
      data: r.exp.data.file ?? r.exp.data.name,
      dataHash: r.exp.data.sha256,
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

/**
 * The journal to write into, and the trials it already holds. A folder with a finished result set
 * keeps its journal.jsonl until the new set is complete: the rerun journals into journal.next.jsonl
 * (finishJournal swaps it in). Only an unfinished journal is continued; a journal with no complete
 * header holds no finished trial and is started over.
 */
function openJournal(out: string, runs: Run[], header: JournalHeader, a: ExecuteArgs) {
  const done = existsSync(join(out, 'results.json'))
  const next = join(out, NEXT_JOURNAL)
  const current = join(out, JOURNAL)
  const unfinished = existsSync(next) ? next : done ? null : current
  const partial = unfinished ? readJournal(unfinished) : null
  if (partial && !a.resume) {
    throw new UserError(
      `--out '${out}': holds the journal of an unfinished run; add --resume to continue it, or name another folder`,
    )
  }
  // --resume in a finished folder re-reads its journal: appending to it loses nothing.
  const found = partial ?? (a.resume === true && done ? readJournal(current) : null)
  if (a.resume === true && !found) {
    if (!existsSync(current))
      throw new UserError(`--resume: '${out}' holds no journal to continue (${JOURNAL})`)
    a.note(`${current}: holds no finished trial (its header line is incomplete); starting the run over`)
  }
  let writer: JournalWriter
  let finished = new Map<string, JournalEntry>()
  if (found) {
    if (
      !sameRuns(found.header, header) ||
      JSON.stringify(found.header.shard) !== JSON.stringify(header.shard)
    ) {
      const option = a.resume === true ? '--resume' : `--out '${out}'`
      const why = difference(found.header, header).replace(/^it is /, `'${found.path}' is `)
      throw new UserError(`${option}: ${why}`)
    }
    finished = checkEntries(found, runs)
    writer = JournalWriter.continue(found)
  } else writer = JournalWriter.start(unfinished ?? next, header)
  for (const e of a.known ?? []) {
    const key = entryKey(e.specHash, e.backend, e.trial.id)
    if (finished.has(key)) continue
    writer.append(e)
    finished.set(key, e)
  }
  return { writer, finished, path: found?.path ?? unfinished ?? next }
}

/** Once the new result set is in place, its journal replaces the finished run's. */
function finishJournal(out: string): void {
  const next = join(out, NEXT_JOURNAL)
  if (existsSync(next)) renameSync(next, join(out, JOURNAL))
}

/** Runs planned experiment x backend pairs, journaled when there is an --out; shards stop after their slice. */
export async function execute(runs: Run[][], a: ExecuteArgs): Promise<CompareResult> {
  const total = planTotals(runs)
  const share = a.shard ? a.shard.count : 1
  const trials = Math.ceil(total.trials / share)
  const steps = Math.ceil(total.steps / share)
  const what = planWhat(runs.length, runs[0]?.length ?? 0, a.shard)
  checkPlan(what, trials, steps, a.yes, a.note)
  const journal = a.out ? openJournal(a.out, runs.flat(), headerOf(runs, a.shard), a) : null
  const bar =
    process.stderr.isTTY && !a.quiet
      ? new SingleBar({
          format: 'dualfit compare [{bar}] {value}/{total} trials · {what}',
          stream: process.stderr,
        })
      : null
  bar?.start(trials, 0, { what: '' })
  const pool = a.workers > 1 ? new TrialPool(a.workers, [import.meta.url], a.signal) : null
  const results: ExperimentResult[] = []
  const groups: Summary[][] = []
  const shared = { summaries: new Map<string, Summary[]>(), datasets: new Map<string, Dataset>() }
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
          if (known) return known.trial
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
      const first = row[0]
      if (first && group.length > 0) {
        const summaries = summarizeGroup(group)
        groups.push(summaries)
        // The report reuses both rather than summarizing and reading the data again.
        shared.summaries.set(first.exp.specHash, summaries)
        shared.datasets.set(first.exp.specHash, first.exp.dataset)
      }
    }
  } finally {
    bar?.stop()
    await pool?.destroy()
    journal?.writer.close()
    if (a.signal.aborted && journal) {
      const kept = journal.finished.size + fresh
      a.note(`${kept} finished trial(s) kept in ${journal.path}; ${a.again ?? '--resume continues the run'}`)
    }
  }
  if (a.shard) {
    const text = `shard ${a.shard.index}/${a.shard.count}: ${fresh} trial(s) run${journal && journal.finished.size > 0 ? `, ${journal.finished.size} from the journal` : ''}${a.out ? `, journaled in ${journal?.path}; combine the shards with dualfit merge` : ''}\n`
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
      ? async () => {
          const written = await writeResultSet(out, {
            'results.json': toJson(output),
            'results.md': render('md', groups, output),
            'results.csv': render('csv', groups, output),
            // charts/ (SVG, PNG), models/ (ONNX), ort/ and report.html
            ...(
              await buildReport(results, {
                baseDirs: [...new Set(runs.flat().map((r) => r.exp.baseDir))],
                ...shared,
              })
            ).files,
          })
          finishJournal(out)
          return written
        }
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
        executeOptions(
          experimentOptions(o).option('out', {
            type: 'string',
            coerce: pathOption('--out'),
            describe:
              'also write results.json, results.md, results.csv, charts/ (SVG, PNG), models/ (ONNX) and report.html to this folder, beside the files already there; a file of those names that dualfit did not write stops the run before it starts',
          }),
        )
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
            ...executeArgs(a),
            ...(a.out ? { out: a.out } : {}),
            resume: a.resume,
            shard: a.shard ?? null,
            signal: ctx.signal,
            note: ctx.note,
          }),
        ),
    ),
}
