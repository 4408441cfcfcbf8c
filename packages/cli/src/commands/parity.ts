import {
  DEFAULT_PARITY_TOLERANCE,
  type ExperimentResult,
  type ParityReport,
  paramsLabel,
  parity,
  runExperiment,
  toJson,
  UserError,
} from '@dualfit/core'
import { num, plain, terminalWidth, wrapLine } from '@dualfit/report'
import type { Argv } from 'yargs'
import { parseBackendList } from '../backend-choice.js'
import {
  type Command,
  type Context,
  checkPlan,
  type ExperimentArgs,
  experimentArgs,
  experimentOptions,
  planGuard,
  planWhat,
  strictNumber,
} from '../options.js'
import { planRuns, planTotals } from '../runs.js'

export interface ParityArgs extends ExperimentArgs {
  tolerance: number
  format: 'text' | 'json'
  yes: boolean
  signal: AbortSignal
  note: (line: string) => void
}

const sci = (x: number) => num(x, 2)

/** One protocol's verdict, for reading: where the curves part, how far, and why; lines within `width`. */
export function renderParity(
  p: ParityReport,
  results: [ExperimentResult, ExperimentResult],
  width = Number.POSITIVE_INFINITY,
): string {
  const [na, nb] = p.backends.map(plain)
  const verdict =
    p.verdict === 'diverged'
      ? `✗ diverged (${p.diverged.map((d) => plain(d.backend)).join(', ')})`
      : p.ok
        ? `✓ within ${sci(p.tolerance)}`
        : `✗ beyond ${sci(p.tolerance)}`
  const lines = [`${plain(p.spec)}: ${na} vs ${nb}: parity ${verdict}`]
  const { part, peak } = p.curves
  if (part) {
    lines.push(
      `  curves part at   epoch ${part.epoch} of ${part.trial}: relative difference ${sci(part.difference)}, loss ${num(part.losses[0], 6)} vs ${num(part.losses[1], 6)}`,
    )
  }
  lines.push(
    `  loss curves      largest relative difference ${sci(p.curves.max)}${peak ? ` at epoch ${peak.epoch} of ${peak.trial}` : ''} (float32 floor ${sci(p.floor)})`,
    `  final weights    largest relative difference ${sci(p.weights.max)}${p.weights.trial ? ` (${p.weights.trial})` : ''}`,
  )
  const [a] = results
  const same: string[] = []
  if (a.grid.points.length > 1)
    same.push(`selection (${paramsLabel(a.grid.points[a.selection.selected] ?? {})})`)
  if (a.trials.some((t) => t.stage === 'early-stopping')) same.push('early-stopping epochs')
  const agree = p.mismatches.length === 0 && same.length > 0 ? `; same ${same.join(' and ')}` : ''
  lines.push(`  runs             ${p.paired} trial(s) paired${agree}`)
  for (const m of p.mismatches) lines.push(`  differs          ${plain(m)}`)
  if (p.differences.length === 0) lines.push('  settings         the same on both sides')
  else for (const d of p.differences) lines.push(`  setting differs  ${plain(d)}`)
  if (p.cause) lines.push(`  likely cause     ${plain(p.cause)}`)
  // A long line continues under its text, past the labels' column.
  return lines.map((l, i) => wrapLine(l, width, i === 0 ? 2 : 19)).join('\n')
}

/** Runs each spec on both backends from identical starts and compares them; ok when all agree. */
export async function parityCheck(a: ParityArgs): Promise<{ text: string; ok: boolean }> {
  const choices = parseBackendList(a.backends)
  if (choices.length !== 2) {
    throw new UserError(
      `--backends: expected two backends to compare, got ${choices.length} (${choices.map((c) => c.name).join(', ')})`,
    )
  }
  const { runs, backends } = await planRuns(a, choices, (specs) => planGuard(specs, 2, null, a.yes, a.note))
  try {
    const total = planTotals(runs)
    checkPlan(planWhat(runs.length, 2, null), total.trials, total.steps, a.yes, a.note)
    const reports: { report: ParityReport; results: [ExperimentResult, ExperimentResult] }[] = []
    for (const row of runs) {
      const results: ExperimentResult[] = []
      for (const r of row) results.push(await runExperiment(r.exp, r.backend, r.engine, { signal: a.signal }))
      const pair = results as [ExperimentResult, ExperimentResult]
      reports.push({ report: parity(pair[0], pair[1], a.tolerance), results: pair })
    }
    const ok = reports.every((r) => r.report.ok)
    const text =
      a.format === 'json'
        ? toJson({ kind: 'dualfit.parity', ok, reports: reports.map((r) => r.report) })
        : `${reports.map((r) => renderParity(r.report, r.results, terminalWidth())).join('\n\n')}\n`
    return { text, ok }
  } finally {
    for (const b of backends) await b.dispose()
  }
}

export const parityCommand: Command = {
  name: 'parity',
  register: (y: Argv, ctx: Context) =>
    y.command(
      'parity',
      'Train each spec on two backends from identical starts; compare loss curves and final weights, exit 1 beyond tolerance (docs/parity.md)',
      (o) =>
        experimentOptions(o)
          .option('tolerance', {
            coerce: (v: unknown) => {
              const t = strictNumber(v)
              if (!(t > 0)) throw new UserError(`--tolerance: expected a positive number, got ${String(v)}`)
              return t
            },
            default: DEFAULT_PARITY_TOLERANCE,
            describe:
              'largest relative difference allowed between per-epoch RMS errors (sqrt of the MSE; below the float32 floor, relative to it) and between final weights',
          })
          .option('format', {
            choices: ['text', 'json'] as const,
            default: 'text' as const,
            describe: 'stdout format',
          })
          .option('yes', {
            type: 'boolean',
            default: false,
            describe: 'start a run over the size limits without asking',
          })
          .example(
            '$0 parity --spec experiments/seed-torch.json',
            "keras-style vs torch-style on the seed's PyTorch protocol",
          )
          .example('$0 parity --backends torch-style,pytorch', 'the ONNX Runtime loop against real PyTorch')
          .example('$0 parity --backends torch-style:cpu,torch-style:wasm', 'two engines of one backend'),
      (a) =>
        ctx.print(
          parityCheck({
            ...experimentArgs(a),
            tolerance: a.tolerance as number,
            format: a.format,
            yes: a.yes,
            signal: ctx.signal,
            note: ctx.note,
          }).then(({ text, ok }) => {
            if (!ok) ctx.failed()
            return text
          }),
        ),
    ),
}
