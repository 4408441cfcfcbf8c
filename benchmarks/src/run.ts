#!/usr/bin/env node
/**
 * `pnpm bench`: microseconds per optimizer step of each backend and engine, measured in one run
 * so that ratios between rows are meaningful on a noisy machine.
 */
import { type Backend, listEngines } from '@dualfit/core'
import { createBackend as kerasBackend } from '@dualfit/keras-style'
import { num, textTable } from '@dualfit/report'
import { createBackend as torchBackend } from '@dualfit/torch-style'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { bench as kerasStyle } from './keras-style.js'
import { bench as torchStyle } from './torch-style.js'
import type { BenchOptions, BenchRow } from './types.js'

const SUITES: {
  backend: () => Backend
  bench: (engines: string[], o: BenchOptions) => Promise<BenchRow[]>
}[] = [
  { backend: torchBackend, bench: torchStyle },
  { backend: kerasBackend, bench: kerasStyle },
]

function fail(message: string): never {
  process.stderr.write(`pnpm bench: ${message.replace(/\s*\n\s*/g, ' ')}\n`)
  process.exit(2)
}

const argv = await yargs(hideBin(process.argv))
  .scriptName('pnpm bench')
  .option('device', { choices: ['cpu', 'wasm', 'gpu', 'all'] as const, default: 'all' as const })
  .option('quick', { type: 'boolean', default: false, describe: 'fewer steps (a smoke run)' })
  .option('format', { choices: ['table', 'json'] as const, default: 'table' as const })
  .strict()
  .fail((msg, err) => fail(err?.message ?? msg))
  .parseAsync()

const opts: BenchOptions = { device: argv.device, quick: argv.quick }
const rows: BenchRow[] = []
const skipped: string[] = []
for (const suite of SUITES) {
  const backend = suite.backend()
  const wanted = (await listEngines(backend)).filter((e) => opts.device === 'all' || e.device === opts.device)
  await backend.dispose()
  for (const e of wanted.filter((x) => !x.available)) skipped.push(`${backend.id} ${e.id}: ${e.detail}`)
  rows.push(
    ...(await suite.bench(
      wanted.filter((e) => e.available).map((e) => e.id),
      opts,
    )),
  )
}
if (rows.length === 0) fail(`--device ${opts.device}: no engine available here (${skipped.join('; ')})`)

if (argv.format === 'json') {
  process.stdout.write(
    `${JSON.stringify({ node: process.version, options: opts, rows, skipped }, null, 2)}\n`,
  )
} else {
  // PyTorch 1.13 on this machine kind, Linear(1,1), Adam, batch 7 (shared/reference facts): the yardstick.
  const PYTORCH_US = 142
  const body = rows.map((r) => [
    r.backend,
    r.engine,
    r.case,
    r.steps.toLocaleString('en-US'),
    num(r.usPerStep, 3),
    `${num(r.usPerStep / PYTORCH_US, 2)}x`,
    r.notes ?? '',
  ])
  process.stdout.write(
    `${textTable(['backend', 'engine', 'case', 'steps', 'µs/step', 'vs PyTorch 142 µs', 'notes'], body)}\n`,
  )
  if (opts.device !== 'all') for (const s of skipped) process.stdout.write(`skipped ${s}\n`)
}
