import { argvOf, BenchUsageError, benchOptions, optionsOf, runBench } from '@dualfit/benchmarks'
import { UserError } from '@dualfit/core'
import type { Argv } from 'yargs'
import type { Command, Context } from '../options.js'

const NAME = 'dualfit bench'

/**
 * `dualfit bench`: the `pnpm bench` suites (@dualfit/benchmarks' runBench), with the same options.
 * Progress goes to stderr as it comes; the tables (or JSON) are printed at the end.
 */
async function bench(a: Parameters<typeof optionsOf>[0], ctx: Context): Promise<string> {
  const { signal } = ctx
  let options: ReturnType<typeof optionsOf>
  try {
    options = optionsOf(a)
  } catch (e) {
    throw e instanceof BenchUsageError ? new UserError(e.message) : e
  }
  let out = ''
  const errors: string[] = []
  const code = await runBench(argvOf(options), {
    out: (s) => {
      out += s
    },
    err: (s) => {
      errors.push(s.replace(`${NAME}: `, '').trim())
    },
    progress: (s) => process.stderr.write(s),
    signal,
    name: NAME,
  })
  if (code === 130 || signal.aborted) throw signal.reason ?? new Error('interrupted')
  if (code === 2) throw new UserError(errors.join('; ') || 'bench: bad input')
  // A failed --check: the tables still print, then the process exits 1.
  if (code === 1) ctx.failed()
  return out
}

export const benchCommand: Command = {
  name: 'bench',
  register: (y: Argv, ctx: Context) =>
    y.command(
      'bench',
      'Time dualfit against real PyTorch in one run: step, protocols, scaling, startup, memory and parallel suites',
      (o) =>
        benchOptions(o)
          .example('$0 bench --quick', 'a smoke run of every suite (about 2 minutes)')
          .example('$0 bench --suite scaling,memory --check', 'the scaling workloads against their targets')
          .example(
            '$0 bench --suite step --device wasm --format json --out bench.json',
            'wasm engines, saved',
          ),
      (a) => ctx.print(bench(a, ctx)),
    ),
}
