import { buildReport } from '@dualfit/charts'
import {
  type Dataset,
  type ExperimentResult,
  isUserError,
  RESULTS_SCHEMA_VERSION,
  runExperiment,
  runStudy,
  type StoredTrial,
  type StudyOutcome,
  selfNoise,
  toJson,
  UserError,
  wantsCalibration,
} from '@dualfit/core'
import { TrialPool } from '@dualfit/core/pool'
import { checkUrl, QueueRun } from '@dualfit/queue'
import {
  type Layout,
  renderCsv,
  renderMarkdown,
  renderTable,
  type Summary,
  summarizeGroup,
  terminalWidth,
} from '@dualfit/report'
import { SingleBar } from 'cli-progress'
import type { Argv } from 'yargs'
import { parseBackendList } from '../backend-choice.js'
import { pathOption } from '../io.js'
import { JournalStore } from '../journal.js'
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
import { SCRIPT_NAME } from '../script-name.js'

export interface CompareArgs extends ExperimentArgs, ExecuteArgs {}

export interface CompareOutput {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION
  kind: 'dualfit.compare'
  results: ExperimentResult[]
  summaries: Summary[]
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
  known?: StoredTrial[]
  /** How to continue after an interruption, for the note. */
  again?: string
  shard: { index: number; count: number } | null
  /** A Redis URL: trials go through its queue to `dualfit worker` processes. */
  queue?: string
  /** Keep a finished --queue run's keys (its trials' results) in Redis. */
  keepQueue?: boolean
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
  if (a.queue && a.shard)
    throw new UserError('--shard: not with --queue (workers take any trial; no slices needed)')
  if (a.queue && a.workers > 1)
    throw new UserError(
      '--workers: not with --queue (trials run in the workers: dualfit worker --concurrency N)',
    )
  const choices = parseBackendList(a.backends)
  const { runs, backends } = await planRuns(a, choices, (specs) =>
    planGuard(specs, choices.length, a.shard, a.yes, a.note),
  )
  // ONNX Runtime's WebGPU provider dies on worker threads (std::bad_alloc, onnxruntime-node 1.30),
  // and the trials of one GPU share it anyway: gpu engines run in this process.
  const onGpu = a.workers > 1 ? runs.flat().find((r) => r.engine.device === 'gpu') : undefined
  try {
    if (onGpu) {
      throw new UserError(
        `--workers ${a.workers}: ${onGpu.backend.id} runs on its ${onGpu.engine.id} engine (gpu), which runs in this process only; use --workers 1`,
      )
    }
    // Every input is valid: now the output folder (it will hold the journal).
    if (a.out) prepareOut(a.out)
    return await execute(runs, a)
  } finally {
    for (const b of backends) await b.dispose()
  }
}

/** Runs planned experiment x backend pairs, journaled when there is an --out; shards stop after their slice. */
export async function execute(runs: Run[][], a: ExecuteArgs): Promise<CompareResult> {
  const total = planTotals(runs)
  const share = a.shard ? a.shard.count : 1
  const trials = Math.ceil(total.trials / share)
  const steps = Math.ceil(total.steps / share)
  const what = planWhat(runs.length, runs[0]?.length ?? 0, a.shard)
  checkPlan(what, trials, steps, a.yes, a.note)
  const store = a.out ? new JournalStore(a.out, a.resume) : null
  const bar =
    process.stderr.isTTY && !a.quiet
      ? new SingleBar({
          format: 'dualfit compare [{bar}] {value}/{total} trials · {what}',
          stream: process.stderr,
        })
      : null
  bar?.start(trials, 0, { what: '' })
  const queue = a.queue
    ? await QueueRun.open(a.queue, runs.flat(), { ...(a.out ? { out: a.out } : {}), note: a.note })
    : null
  if (queue) a.note(`trials go to ${queue.label}; ${SCRIPT_NAME} worker --queue URL runs them`)
  const pool = a.workers > 1 ? new TrialPool(a.workers, [import.meta.url], a.signal) : null
  let outcome: StudyOutcome
  // A queue run that ended, done or failed on its input, leaves no key behind (unless kept).
  let ended = false
  try {
    outcome = await runStudy(runs, {
      store,
      resume: a.resume,
      shard: a.shard,
      signal: a.signal,
      note: a.note,
      onTrial: (r) => bar?.increment({ what: `${r.exp.spec.name} on ${r.backend.id}` }),
      ...(a.known ? { known: a.known } : {}),
      ...(pool ? { runner: (r) => pool.runner(r.exp, r.name, r.engine.id), concurrency: pool.workers } : {}),
      // Every trial of a stage, of every experiment x backend pair, in the queue at once: the workers
      // decide how many run, and those serving one backend never wait on another's.
      ...(queue ? { runner: (r) => queue.runner(r), concurrency: total.trials, allRunsAtOnce: true } : {}),
    })
    ended = true
  } catch (e) {
    ended = isUserError(e)
    throw e
  } finally {
    bar?.stop()
    await pool?.destroy()
    await queue?.close(ended, a.keepQueue)
    await store?.close()
    if (a.signal.aborted && store)
      a.note(
        `${store.count} finished trial(s) kept in ${store.path}; ${a.again ?? '--resume continues the run'}`,
      )
  }
  if (a.resume === true && store && !a.shard)
    a.note(`resumed: ${outcome.reused} of ${outcome.reused + outcome.fresh} trial(s) from ${store.path}`)
  if (a.shard) {
    const reused = outcome.reused > 0 ? `, ${outcome.reused} from the journal` : ''
    const text = `shard ${a.shard.index}/${a.shard.count}: ${outcome.fresh} trial(s) run${reused}, journaled in ${store?.path}; combine the shards with ${SCRIPT_NAME} merge\n`
    return { text, save: null }
  }
  return resultSet(runs, outcome.rows, a, store)
}

/** The tables to print, and the result set to write into --out (then the journal that made it). */
async function resultSet(
  runs: Run[][],
  rows: ExperimentResult[][],
  a: ExecuteArgs,
  store: JournalStore | null,
): Promise<CompareResult> {
  const groups: Summary[][] = []
  const shared = { summaries: new Map<string, Summary[]>(), datasets: new Map<string, Dataset>() }
  for (const [i, group] of rows.entries()) {
    const first = runs[i]?.[0]
    if (!first || group.length === 0) continue
    // Each backend after the first also gets its parity against the first, calibrated by the
    // first's own noise where a verdict fails with nothing to name (the one extra run, then only).
    let summaries = summarizeGroup(group)
    const calibrate = summaries.some((s) => s.parity && wantsCalibration(s.parity))
    if (calibrate) {
      const noise = await runExperiment(first.exp, first.backend, first.engine, {
        signal: a.signal,
        perturb: 'ulp',
      })
      // Kept with the first result, so that `dualfit report` draws the same verdicts again.
      const head = group[0] as ExperimentResult
      head.noise = selfNoise(head, noise)
      summaries = summarizeGroup(group)
    }
    groups.push(summaries)
    // The report reuses both rather than summarizing and reading the data again.
    shared.summaries.set(first.exp.specHash, summaries)
    shared.datasets.set(first.exp.specHash, first.exp.dataset)
  }
  const results = rows.flat()
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
          store?.finish()
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
          .option('queue', {
            type: 'string',
            coerce: checkUrl,
            describe: `redis://[user:password@]host:port[/db] (rediss:// for TLS): put the trials in a queue there for any number of \`${SCRIPT_NAME} worker\` processes, on any machine, to run; results are the same as a local run's; see docs/distributed.md`,
          })
          .option('keep-queue', {
            type: 'boolean',
            default: false,
            describe: "with --queue: keep the finished run's keys (its trials' results) in Redis",
          })
          .option('shard', {
            coerce: parseShard,
            describe: `i/n: run only the i-th of n deterministic slices of the trials (0-based); see ${SCRIPT_NAME} merge`,
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
            '$0 compare --queue redis://queue-host:6379 --out run/',
            'trials through Redis to `dualfit worker` processes anywhere; --resume continues it',
          )
          .example(
            '$0 compare --data cars.csv --x Horsepower,Weight_in_lbs --y Miles_per_Gallon --drop-missing',
            'your data: a linear model, standardized, 20% held out for test, lr by 5-fold CV (a --y of text labels: a classifier)',
          )
          .example(
            '$0 compare --spec experiments/iris.json',
            'a classifier: accuracy, log loss and a confusion matrix per backend',
          ),
      (a) =>
        ctx.finish(
          compare({
            ...experimentArgs(a),
            ...executeArgs(a),
            ...(a.out ? { out: a.out } : {}),
            resume: a.resume,
            shard: a.shard ?? null,
            ...(a.queue ? { queue: a.queue } : {}),
            keepQueue: a.keepQueue,
            signal: ctx.signal,
            note: ctx.note,
          }),
        ),
    ),
}
