#!/usr/bin/env node
/** `pnpm bench`: the suites side by side with real PyTorch (see README.md). Exit 0, 1 (--check FAIL), 2 (bad input), 130 (Ctrl-C). */
import { runBench } from './bench.js'

// Ctrl-C stops the run between measurements, kills the running child and removes the scratch folder.
const ac = new AbortController()
process.once('SIGINT', () => ac.abort(new Error('interrupted')))
process.exitCode = await runBench(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  signal: ac.signal,
})
