/** Option parsers and groups that more than one command shares. */
import { availableParallelism } from 'node:os'
import { type Device, MAX_TRIALS, type PlanCheck, planSize, type Task, UserError } from '@dualfit/core'
import { parseNumber, TABLE_FORMATS } from '@dualfit/data'
import type { Layout } from '@dualfit/report'
import type { Argv } from 'yargs'
import type { DataArgs } from './spec.js'

export const DEVICES = ['cpu', 'wasm', 'gpu'] as const

/** A command: its name, and the function that adds it, with its options, to the parser. */
export interface Command {
  name: string
  register(y: Argv, ctx: Context): Argv
}

/** What every command's handler gets besides its options. */
export interface Context {
  /** Aborted on Ctrl-C or SIGTERM. */
  signal: AbortSignal
  /** Prints what the command returns, once it is done. */
  print: (job: Promise<string>) => Promise<void>
  /** Prints the text, then saves the files: a failed write still leaves the tables on stdout. */
  finish: (job: Promise<{ text: string; save: (() => Promise<unknown>) | null }>) => Promise<void>
  /** A one-line note on stderr (the plan, what an interruption kept). */
  note: (line: string) => void
  /** A check failed (parity): exit 1 once the output is printed. */
  failed: () => void
}

/** Past these, a run asks for --yes: a typo such as epochs=1e9 should not start hours of work. */
export const LIMITS = { trials: 1e4, steps: 1e8 }
/** For the plan line's estimate: a step of the seed's protocols on this project's machines is 50-500 µs. */
const US_PER_STEP = 200

/** Says what a long run will do before it starts, and refuses runaway work without --yes. */
export function checkPlan(
  what: string,
  trials: number,
  steps: number,
  yes: boolean,
  note: (l: string) => void,
): void {
  const seconds = (steps * US_PER_STEP) / 1e6
  const estimate =
    seconds < 60
      ? `${Math.ceil(seconds)} s`
      : seconds < 3600
        ? `${Math.ceil(seconds / 60)} min`
        : `${(seconds / 3600).toFixed(1)} h`
  const over = trials > LIMITS.trials || steps > LIMITS.steps
  // Short runs start without a word; long ones say what they will do first.
  if (seconds < 30 && !over) return
  note(
    `plan: ${what}: ${trials.toLocaleString('en-US')} trial(s), at most ${steps.toLocaleString('en-US')} optimizer steps, roughly ${estimate} at ${US_PER_STEP} µs a step`,
  )
  if (!yes && over) {
    throw new UserError(
      `${what}: ${trials.toLocaleString('en-US')} trials and ${steps.toLocaleString('en-US')} optimizer steps are over the limits (${LIMITS.trials.toLocaleString('en-US')} trials, ${LIMITS.steps.toLocaleString('en-US')} steps); add --yes to start it`,
    )
  }
}

/** What a compare or parity run is, for the plan line. */
export function planWhat(specs: number, backends: number, shard: { index: number; count: number } | null) {
  return `${specs} spec(s) x ${backends} backend(s)${shard ? `, shard ${shard.index}/${shard.count}` : ''}`
}

/**
 * The plan guard of a run of `specs` x `backends` (a shard's share of it): each spec's plan is
 * added as it is loaded, sized by arithmetic before its data is made or its grid expanded, and
 * checkPlan refuses once the total is over the limits.
 */
export function planGuard(
  specs: number,
  backends: number,
  shard: { index: number; count: number } | null,
  yes: boolean,
  note: (l: string) => void,
): PlanCheck {
  const total = { trials: 0, steps: 0 }
  const share = backends / (shard?.count ?? 1)
  return (spec, rows) => {
    const size = planSize(spec, rows)
    total.trials += size.trials
    total.steps += size.steps
    const trials = Math.ceil(total.trials * share)
    const steps = Math.ceil(total.steps * share)
    if (!yes && (trials > LIMITS.trials || steps > LIMITS.steps))
      checkPlan(planWhat(specs, backends, shard), trials, steps, yes, note)
  }
}

/** What yargs itself takes as a negative number: left to it, so `--flag -1` means what it did. */
const NUMBER = /^-(\d+(\.\d+)?|\.\d+)$/

/**
 * yargs reads a value that starts with '-' as a flag unless it is a plain negative number, so
 * `--x -1,-2` or `--shard -1/3` lost their value. No dualfit flag starts with a digit or '.':
 * such a token right after an option is that option's value, as `--x=-1,-2` would be.
 */
export function attachDashValues(argv: string[]): string[] {
  const out: string[] = []
  let positional = false
  for (const arg of argv) {
    const prev = out[out.length - 1]
    if (
      !positional &&
      prev !== undefined &&
      /^--[^=]+$/.test(prev) &&
      /^-[\d.]/.test(arg) &&
      !NUMBER.test(arg)
    )
      out[out.length - 1] = `${prev}=${arg}`
    else out.push(arg)
    if (arg === '--') positional = true
  }
  return out
}

/** `i/n` with 0 <= i < n. */
export function parseShard(v: unknown): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(String(v).trim())
  const index = Number(m?.[1])
  const count = Number(m?.[2])
  if (!m || count < 1 || index >= count) {
    throw new UserError(`--shard: expected i/n with 0 <= i < n, e.g. 0/3, got '${v}'`)
  }
  return { index, count }
}

/**
 * A number on the command line, by the data files' rule (@dualfit/data's parseNumber): decimal or
 * scientific notation (1, -2.5, .5, 1e3), spaces around allowed; NaN for anything else: an empty
 * or blank value, hex, octal or binary (0x10, 0o7, 0b1), Infinity, NaN, "1,5". (Number() would
 * take 0x10 as 16 and "" as 0.) The CLI's parser leaves option values as text (main.ts turns off
 * yargs' own number parsing); a number here is an option's default.
 */
export function strictNumber(v: unknown): number {
  if (typeof v === 'number') return v
  return typeof v === 'string' ? parseNumber(v) : Number.NaN
}

/** An integer option: any notation strictNumber takes, as long as the value is a whole number (1e3 is 1000, 2.5 is refused). */
function integer(name: string, min: number, expected: string) {
  return (v: unknown) => {
    const n = strictNumber(v)
    if (!Number.isSafeInteger(n) || n < min)
      throw new UserError(`--${name}: expected ${expected}, got '${v}'`)
    return n === 0 ? 0 : n // not -0
  }
}

export function positiveInt(name: string) {
  return integer(name, 1, 'a positive integer')
}

export function nonNegativeInt(name: string) {
  return integer(name, 0, 'an integer >= 0')
}

/** --data and its column options (compare, train). */
export function dataOptions<T>(y: Argv<T>) {
  return y
    .option('data', {
      type: 'string',
      describe: "a CSV, TSV, JSON or JSONL file with a header row; replaces the spec's dataset",
    })
    .option('x', {
      type: 'string',
      array: true,
      describe: 'input column(s) of --data, comma-separated (a comma inside a name: \\,)',
    })
    .option('y', {
      type: 'string',
      array: true,
      describe: 'target column(s) of --data, comma-separated (a comma inside a name: \\,)',
    })
    .option('format-data', {
      choices: TABLE_FORMATS,
      describe: 'the data file format (default: from its extension)',
    })
    .option('drop-missing', {
      type: 'boolean',
      describe: 'drop rows with an empty input or target cell (default: fail on the first one)',
    })
    .option('task', {
      choices: ['classification', 'regression'] as const,
      describe:
        '--data without --spec: a classifier (cross_entropy, one output per class of --y) or a linear regression; default: classification when the --y column holds text labels. With --spec: its loss must be for this task',
    })
}

export function dataArgs(a: {
  data?: string
  x?: (string | number)[]
  y?: (string | number)[]
  formatData?: string
  dropMissing?: boolean
  task?: Task
}): DataArgs {
  return {
    ...(a.data !== undefined ? { data: a.data } : {}),
    ...(a.x ? { x: a.x.map(String) } : {}),
    ...(a.y ? { y: a.y.map(String) } : {}),
    ...(a.formatData !== undefined ? { formatData: a.formatData } : {}),
    ...(a.dropMissing !== undefined ? { dropMissing: a.dropMissing } : {}),
    ...(a.task !== undefined ? { task: a.task } : {}),
  }
}

/** What runs on which backends: compare and parity. */
export interface ExperimentArgs extends DataArgs {
  spec?: string[]
  backends?: string[]
  device?: Device
  seeds?: number
  set?: string[]
}

/** --data and its columns, then --spec, --backends, --device, --seeds and --set. */
export function experimentOptions<T>(y: Argv<T>) {
  return dataOptions(y)
    .option('spec', {
      type: 'string',
      array: true,
      describe: "experiment spec file (JSON); repeatable; default: the seed's two protocols",
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
      coerce: (v: unknown) => {
        const n = positiveInt('seeds')(v)
        // Every seed is a trial at least: refused here, before an array of them is made.
        if (n > MAX_TRIALS)
          throw new UserError(
            `--seeds: expected at most ${MAX_TRIALS.toLocaleString('en-US')} (each seed is a trial, and no run can hold more), got '${v}'`,
          )
        return n
      },
      describe: "run seeds 0..N-1 instead of the spec's seeds",
    })
    .option('set', {
      type: 'string',
      array: true,
      describe: 'override a spec field, e.g. --set epochs=50',
    })
}

export function experimentArgs(
  a: Parameters<typeof dataArgs>[0] & {
    spec?: string[]
    backends?: string[]
    device?: string
    seeds?: number
    set?: string[]
  },
): ExperimentArgs {
  return {
    ...dataArgs(a),
    ...(a.spec ? { spec: a.spec } : {}),
    ...(a.backends ? { backends: a.backends } : {}),
    ...(a.device ? { device: a.device as Device } : {}),
    ...(a.seeds !== undefined ? { seeds: a.seeds } : {}),
    ...(a.set ? { set: a.set } : {}),
  }
}

/** stdout formats of compare and merge. */
export const FORMATS = ['table', 'json', 'md', 'csv'] as const
export type Format = (typeof FORMATS)[number]

/** How compare and merge run the trials and print the results. */
export interface ExecuteFlags {
  /** Start work over the size limits (LIMITS) without asking. */
  yes: boolean
  workers: number
  format: Format
  layout: Layout
  quiet: boolean
}

/** --workers, --format, --layout, --quiet and --yes. */
export function executeOptions<T>(y: Argv<T>) {
  return y
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
      describe: 'tables: a row per backend (wide), a row per measure (tall), or whichever fits the terminal',
    })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress bar' })
    .option('yes', {
      type: 'boolean',
      default: false,
      describe: `start a run over ${LIMITS.trials.toLocaleString('en-US')} trials or ${LIMITS.steps.toLocaleString('en-US')} steps without asking`,
    })
}

export function executeArgs(a: {
  workers: unknown
  format: Format
  layout: Layout
  quiet: boolean
  yes: boolean
}): ExecuteFlags {
  return { workers: a.workers as number, format: a.format, layout: a.layout, quiet: a.quiet, yes: a.yes }
}
