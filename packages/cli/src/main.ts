import { isUserError, UserError } from '@dualfit/core'
import { plain, terminalWidth } from '@dualfit/report'
import yargs from 'yargs'
import { backendsCommand } from './commands/backends.js'
import { compareCommand } from './commands/compare.js'
import { datasetsCommand } from './commands/datasets.js'
import { exportCommand } from './commands/export.js'
import { mergeCommand } from './commands/merge.js'
import { parityCommand } from './commands/parity.js'
import { predictCommand } from './commands/predict.js'
import { reportCommand } from './commands/report.js'
import { trainCommand } from './commands/train.js'
import { workerCommand } from './commands/worker.js'
import { attachDashValues, type Context } from './options.js'
import { SCRIPT_NAME } from './script-name.js'

class Interrupted extends Error {}

/**
 * An option given twice where one value is expected (`--spec a.json --spec b.json`): yargs makes
 * an array of it, which no handler expects. `arrays`: the options that take several values.
 */
function repeatedOption(argv: Record<string, unknown>, arrays: string[]): string | null {
  for (const [key, value] of Object.entries(argv)) {
    if (key === '_' || key === '$0' || !Array.isArray(value) || arrays.includes(key)) continue
    return `--${key}: given ${value.length} times, expected once`
  }
  return null
}

/**
 * yargs lists a one-letter option as `-x`; the docs, examples and messages write `--x`, which it
 * takes too: the help says it that way, in the same column as the other long options.
 */
function longSwitches(help: string): string {
  return help.replace(
    /^ {2}-([a-zA-Z])( {6,})/gm,
    (_m, key: string, pad: string) => `      --${key}${pad.slice(5)}`,
  )
}

const COMMANDS = [
  compareCommand,
  parityCommand,
  trainCommand,
  predictCommand,
  exportCommand,
  datasetsCommand,
  backendsCommand,
  mergeCommand,
  reportCommand,
  workerCommand,
]

/** Runs the CLI; resolves to the exit code. Output goes to the given writers (stdout/stderr by default). */
export async function main(
  argv: string[],
  io: { out: (s: string) => void; err: (s: string) => void } = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  },
): Promise<number> {
  const ac = new AbortController()
  let checkFailed = false
  // The first Ctrl-C (or SIGTERM) stops at the next optimizer step and keeps what finished; a
  // second one exits at once (temp folders are removed on exit, see outdir.ts).
  const onSignal = () => {
    if (ac.signal.aborted) process.exit(130)
    ac.abort(new Interrupted())
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const ctx: Context = {
    signal: ac.signal,
    print: (job) => job.then(io.out),
    finish: async (job) => {
      const { text, save } = await job
      io.out(text)
      await save?.()
    },
    // User text (names, paths, values) reaches these lines: never an escape sequence to the terminal.
    note: (line) => io.err(`dualfit: ${plain(line)}\n`),
    failed: () => {
      checkFailed = true
    },
  }
  const args = attachDashValues(argv)
  let parser = yargs(args)
    .scriptName(SCRIPT_NAME)
    // Option values stay text: yargs would read 0x10 as 16 and 1e400 as Infinity. Numeric options
    // go through options.ts's strictNumber instead (the data files' rule).
    .parserConfiguration({ 'parse-numbers': false })
    .usage(
      '$0 <command> [options]\n\nThe same small regression experiment on keras-style (TensorFlow.js), torch-style (ONNX Runtime) and plugin backends.',
    )
  for (const c of COMMANDS) parser = c.register(parser, ctx)
  parser = parser
    .middleware((a) => {
      // getOptions() is yargs' own record of the options declared so far (untyped in @types/yargs).
      const declared = (parser as unknown as { getOptions(): { array: string[] } }).getOptions()
      const problem = repeatedOption(a, declared.array)
      if (problem) throw new UserError(problem)
    }, true)
    .demandCommand(1, `name a command: ${COMMANDS.map((c) => c.name).join(', ')}`)
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(120, terminalWidth()))
    .exitProcess(false)
    .fail((msg, err) => {
      // yargs wraps errors from coerce(); usage errors arrive as multi-line text.
      if (err && isUserError(err)) throw err
      throw new UserError((err?.message ?? msg).replace(/\s*\n\s*/g, ' '))
    })
  let code = 0
  try {
    // With a callback, yargs hands over the help text instead of printing it.
    await parser.parseAsync(args, {}, (_e, _a, output) => {
      if (output) io.out(`${longSwitches(output)}\n`)
    })
    if (checkFailed) code = 1
  } catch (e) {
    if (e instanceof Interrupted || ac.signal.aborted) {
      io.err('dualfit: interrupted; no result files were written\n')
      code = 130
    } else if (isUserError(e)) {
      io.err(`dualfit: ${e.problems.map(plain).join('\ndualfit: ')}\n`)
      code = 2
    } else {
      io.err(`dualfit: internal error: ${plain((e as Error).message)}\n`)
      if (process.env.DUALFIT_DEBUG) io.err(`${(e as Error).stack}\n`)
      code = 1
    }
  } finally {
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
  }
  return code
}
