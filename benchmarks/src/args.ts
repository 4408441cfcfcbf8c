/** The options of `pnpm bench` (and of `./dualfit bench` in the offline bundle). */
import type { Argv } from 'yargs'
import yargs from 'yargs'
import {
  type BenchOptions,
  DEVICE_CHOICES,
  type DeviceChoice,
  FORMATS,
  type Format,
  SUITE_NAMES,
  type SuiteName,
} from './types.js'

/** A usage problem: one line, exit code 2. */
export class BenchUsageError extends Error {}

/**
 * `--suite` values: comma lists and/or repeats ('step,scaling' or --suite step --suite scaling);
 * none means every suite. Returned in canonical order, without repeats; an unknown name throws.
 */
export function parseSuites(values: readonly (string | number)[] | undefined): SuiteName[] {
  const names = (values ?? [])
    .flatMap((v) => String(v).split(','))
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)
  if (names.length === 0) return [...SUITE_NAMES]
  const known = new Set<string>(SUITE_NAMES)
  const bad = names.filter((n) => !known.has(n))
  if (bad.length > 0) {
    throw new BenchUsageError(
      `--suite: unknown suite${bad.length > 1 ? 's' : ''} ${bad.map((b) => `'${b}'`).join(', ')}; choose from ${SUITE_NAMES.join(', ')}`,
    )
  }
  return SUITE_NAMES.filter((s) => names.includes(s))
}

/** Adds bench's options to a yargs parser. */
function benchOptions<T>(y: Argv<T>) {
  return y
    .option('suite', {
      type: 'string',
      array: true,
      describe: `suites to run, comma-separated or repeated: ${SUITE_NAMES.join(', ')} (default: all)`,
    })
    .option('quick', {
      type: 'boolean',
      default: false,
      describe: 'a smoke run: smaller N, fewer epochs and repetitions (every code path)',
    })
    .option('check', {
      type: 'boolean',
      default: false,
      describe:
        "after the tables, PASS/FAIL/SKIP per target (dualfit's overhead over the engine's bare loop); exit 1 on any FAIL",
    })
    .option('device', {
      choices: DEVICE_CHOICES,
      default: 'all' as DeviceChoice,
      describe: 'engines of this device only',
    })
    .option('format', { choices: FORMATS, default: 'table' as Format, describe: 'stdout format' })
    .option('out', {
      type: 'string',
      describe: 'also write the JSON document to this file (atomically; an existing file needs --force)',
    })
    .option('force', { type: 'boolean', default: false, describe: 'overwrite an existing --out file' })
}

/** Parsed yargs values as BenchOptions; throws BenchUsageError. */
function optionsOf(a: {
  suite?: (string | number)[] | undefined
  quick?: boolean | undefined
  check?: boolean | undefined
  device?: string | undefined
  format?: string | undefined
  out?: string | undefined
  force?: boolean | undefined
}): BenchOptions {
  const device = (a.device ?? 'all') as DeviceChoice
  if (!DEVICE_CHOICES.includes(device)) {
    throw new BenchUsageError(`--device: expected one of ${DEVICE_CHOICES.join(', ')}, got '${a.device}'`)
  }
  const format = (a.format ?? 'table') as Format
  if (!FORMATS.includes(format)) {
    throw new BenchUsageError(`--format: expected one of ${FORMATS.join(', ')}, got '${a.format}'`)
  }
  if (a.out !== undefined && a.out.trim() === '') throw new BenchUsageError('--out: expected a file name')
  return {
    suites: parseSuites(a.suite),
    quick: a.quick ?? false,
    check: a.check ?? false,
    device,
    format,
    ...(a.out !== undefined ? { out: a.out } : {}),
    ...(a.force ? { force: true } : {}),
  }
}

function parser(argv: readonly string[], scriptName: string) {
  return benchOptions(yargs([...argv]))
    .scriptName(scriptName)
    .usage(
      '$0 [options]\n\nTimes dualfit against real PyTorch in one run: per suite, a table with each row as dualfit / PyTorch.',
    )
    .example('$0 --quick', 'a smoke run of every suite (about 2 minutes)')
    .example('$0 --suite scaling --check', 'the scaling workloads, judged against their targets')
    .example('$0 --suite step,startup --device wasm --format json --out bench.json', 'wasm engines, saved')
    .strict()
    .help(false)
    .version(false)
    .exitProcess(false)
    .wrap(null)
    .fail((msg, err) => {
      throw err instanceof BenchUsageError
        ? err
        : new BenchUsageError((err?.message ?? msg).replace(/\s*\n\s*/g, ' '))
    })
}

/** The help text. */
export function helpText(scriptName = 'pnpm bench'): Promise<string> {
  return parser([], scriptName).getHelp()
}

/** Parses bench's command line; 'help' for -h/--help; throws BenchUsageError on bad input. */
export async function parseArgs(argv: readonly string[]): Promise<BenchOptions | 'help'> {
  if (argv.includes('--help') || argv.includes('-h')) return 'help'
  // strict() rejects stray arguments and unknown options alike ('Unknown argument: x').
  return optionsOf(await parser(argv, 'pnpm bench').parseAsync())
}
