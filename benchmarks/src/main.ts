/** bench as a program: `pnpm bench` (run.ts) and `./dualfit bench` in the offline bundle. */
import { BenchUsageError, helpText, parseArgs } from './args.js'
import { type Programs, runBench } from './bench.js'

/**
 * Parses `argv` and runs the suites, printing to stdout and stderr; `name` is how messages and
 * the help call the command, `programs` where the CLI and the specs are (the workspace's unless told). Ctrl-C stops the run between measurements, kills the running child
 * and removes the scratch folder. Resolves to the exit code: 0, 1 (a --check FAIL), 2 (bad
 * input, one line), 130 (Ctrl-C).
 */
export async function benchMain(argv: string[], name: string, programs?: Programs): Promise<number> {
  const out = (s: string) => process.stdout.write(s)
  const err = (s: string) => process.stderr.write(s)
  let parsed: Awaited<ReturnType<typeof parseArgs>>
  try {
    parsed = await parseArgs(argv)
  } catch (e) {
    if (!(e instanceof BenchUsageError)) throw e
    err(`${name}: ${e.message}\n`)
    return 2
  }
  if (parsed === 'help') {
    out(`${await helpText(name)}\n`)
    return 0
  }
  const ac = new AbortController()
  const onSigint = () => ac.abort(new Error('interrupted'))
  process.once('SIGINT', onSigint)
  try {
    return await runBench(parsed, { out, err, signal: ac.signal, name, ...(programs ? { programs } : {}) })
  } finally {
    process.removeListener('SIGINT', onSigint)
  }
}
