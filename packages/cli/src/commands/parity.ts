import {
  calibrationText,
  DEFAULT_PARITY_TOLERANCE,
  type ExperimentResult,
  type ParityReport,
  paramsLabel,
  parity,
  runExperiment,
  toJson,
  UserError,
  wantsCalibration,
} from '@dualfit/core'
import { num, plain, terminalWidth, wrapLine } from '@dualfit/report'
import type { Argv } from 'yargs'
import { type BackendChoice, parseBackendList } from '../backend-choice.js'
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
  /** --set overrides for the second side only: a spec against a variant of itself. */
  versus?: string[]
  tolerance: number
  /** Calibrate a failed verdict by the first backend's own noise (one more run); default true. */
  calibrate?: boolean
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
      : p.verdict === 'noise'
        ? `✓ within the problem's own noise (beyond ${sci(p.tolerance)})`
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
  if (p.variant) lines.push(`  variant          ${plain(p.variant.join(', ') || 'the same spec')}`)
  for (const m of p.mismatches) lines.push(`  differs          ${plain(m)}`)
  if (p.differences.length === 0) lines.push('  settings         the same on both sides')
  else for (const d of p.differences) lines.push(`  setting differs  ${plain(d)}`)
  for (const c of calibrationText(p)) lines.push(`  calibration      ${plain(c)}`)
  if (p.cause) lines.push(`  likely cause     ${plain(p.cause)}`)
  // A long line continues under its text, past the labels' column.
  return lines.map((l, i) => wrapLine(l, width, i === 0 ? 2 : 19)).join('\n')
}

/** Each spec on `first`, and with the --versus overrides on `second`: rows of two runs, as planRuns gives. */
async function planVariant(
  a: ParityArgs,
  first: BackendChoice,
  second: BackendChoice,
  versus: string[],
  guard: Parameters<typeof planRuns>[2],
) {
  const left = await planRuns(a, [first], guard)
  try {
    const right = await planRuns({ ...a, set: [...(a.set ?? []), ...versus] }, [second], guard)
    return {
      runs: left.runs.map((row, i) => [...row, ...(right.runs[i] ?? [])]),
      backends: [...left.backends, ...right.backends],
    }
  } catch (e) {
    for (const b of left.backends) await b.dispose()
    throw e
  }
}

/** Runs each spec on both backends from identical starts and compares them; ok when all agree. */
export async function parityCheck(a: ParityArgs): Promise<{ text: string; ok: boolean }> {
  const listed = parseBackendList(a.backends)
  const versus = a.versus ?? []
  // Against a variant, one backend may run both sides.
  const choices = versus.length > 0 && listed.length === 1 ? [...listed, ...listed] : listed
  if (choices.length !== 2) {
    throw new UserError(
      `--backends: expected two backends to compare${versus.length > 0 ? ' (or one, with --versus)' : ''}, got ${listed.length} (${listed.map((c) => c.name).join(', ')})`,
    )
  }
  const [first, second] = choices as [BackendChoice, BackendChoice]
  const guard = (specs: number) => planGuard(specs, 2, null, a.yes, a.note)
  const { runs, backends } =
    versus.length === 0
      ? await planRuns(a, choices, guard)
      : await planVariant(a, first, second, versus, guard)
  try {
    const total = planTotals(runs)
    checkPlan(planWhat(runs.length, 2, null), total.trials, total.steps, a.yes, a.note)
    const reports: { report: ParityReport; results: [ExperimentResult, ExperimentResult] }[] = []
    for (const row of runs) {
      const results: ExperimentResult[] = []
      for (const r of row) results.push(await runExperiment(r.exp, r.backend, r.engine, { signal: a.signal }))
      const pair = results as [ExperimentResult, ExperimentResult]
      const variant = versus.length > 0
      let report = parity(pair[0], pair[1], a.tolerance, { variant })
      const [first] = row
      if (a.calibrate !== false && wantsCalibration(report) && first) {
        // Beyond tolerance with nothing to name: how far does the first side part from itself?
        const noise = await runExperiment(first.exp, first.backend, first.engine, {
          signal: a.signal,
          perturb: 'ulp',
        })
        report = parity(pair[0], pair[1], a.tolerance, { variant, noise })
      }
      reports.push({ report, results: pair })
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
              'largest relative difference allowed between per-epoch errors (RMS errors for MSE and Huber, log loss in nats for classification; two errors within the float32 floor of each other are equal) and between final weights',
          })
          .option('calibrate', {
            type: 'boolean',
            default: true,
            describe:
              'when curves or weights differ beyond tolerance and nothing differs to name, run the first backend again with its initial weights and rows one float32 ulp away, and pass within twice its difference from itself (--no-calibrate: the tolerance alone)',
          })
          .option('versus', {
            type: 'array',
            string: true,
            describe:
              'run the second side with these spec overrides (like --set): a spec against a variant of itself; then --backends may name one backend for both sides',
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
          .example('$0 parity --backends torch-style:cpu,torch-style:wasm', 'two engines of one backend')
          .example(
            '$0 parity --spec experiments/iris.json --backends torch-style --versus loss.fromLogits=false --versus model.layers.1.activation=softmax',
            'logits into the loss against a softmax layer and clipped probabilities',
          ),
      (a) =>
        ctx.print(
          parityCheck({
            ...experimentArgs(a),
            ...(a.versus ? { versus: a.versus as string[] } : {}),
            tolerance: a.tolerance as number,
            calibrate: a.calibrate as boolean,
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
