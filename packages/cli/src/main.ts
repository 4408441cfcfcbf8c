import { isUserError, UserError } from '@dualfit/core'
import yargs from 'yargs'
import { backendsCommand } from './commands/backends.js'
import { compareCommand } from './commands/compare.js'
import { datasetsCommand } from './commands/datasets.js'
import { exportCommand } from './commands/export.js'
import { predictCommand } from './commands/predict.js'
import { trainCommand } from './commands/train.js'
import type { Context } from './options.js'

class Interrupted extends Error {}

const COMMANDS = [
  compareCommand,
  trainCommand,
  predictCommand,
  exportCommand,
  datasetsCommand,
  backendsCommand,
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
  const onSigint = () => ac.abort(new Interrupted())
  process.once('SIGINT', onSigint)
  const ctx: Context = { signal: ac.signal, print: (job) => job.then(io.out) }
  let parser = yargs(argv)
    .scriptName('dualfit')
    .usage(
      '$0 <command> [options]\n\nThe same small regression experiment on keras-style (TensorFlow.js), torch-style (ONNX Runtime) and plugin backends.',
    )
  for (const c of COMMANDS) parser = c.register(parser, ctx)
  parser = parser
    .demandCommand(1, `name a command: ${COMMANDS.map((c) => c.name).join(', ')}`)
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(120, process.stdout.columns || 120))
    .exitProcess(false)
    .fail((msg, err) => {
      // yargs wraps errors from coerce(); usage errors arrive as multi-line text.
      if (err && isUserError(err)) throw err
      throw new UserError((err?.message ?? msg).replace(/\s*\n\s*/g, ' '))
    })
  let code = 0
  try {
    await parser.parseAsync()
  } catch (e) {
    if (e instanceof Interrupted || ac.signal.aborted) {
      io.err('dualfit: interrupted; no result files were written\n')
      code = 130
    } else if (isUserError(e)) {
      io.err(`dualfit: ${e.problems.join('\ndualfit: ')}\n`)
      code = 2
    } else {
      io.err(`dualfit: internal error: ${(e as Error).message}\n`)
      if (process.env.DUALFIT_DEBUG) io.err(`${(e as Error).stack}\n`)
      code = 1
    }
  } finally {
    process.removeListener('SIGINT', onSigint)
  }
  return code
}
