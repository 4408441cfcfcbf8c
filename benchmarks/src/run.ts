#!/usr/bin/env node
/**
 * `pnpm bench`: microseconds per optimizer step of each backend and engine, measured in one run
 * so that ratios between rows are meaningful on a noisy machine.
 */
import { num, textTable } from '@dualfit/report'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { bench as kerasStyle } from './keras-style.js'
import { bench as torchStyle } from './torch-style.js'
import type { BenchOptions, BenchRow } from './types.js'

const argv = await yargs(hideBin(process.argv))
  .scriptName('pnpm bench')
  .option('device', { choices: ['cpu', 'wasm', 'gpu', 'all'] as const, default: 'all' as const })
  .option('quick', { type: 'boolean', default: false, describe: 'fewer steps (a smoke run)' })
  .option('format', { choices: ['table', 'json'] as const, default: 'table' as const })
  .strict()
  .parseAsync()

const opts: BenchOptions = { device: argv.device, quick: argv.quick }
const rows: BenchRow[] = []
for (const suite of [torchStyle, kerasStyle]) rows.push(...(await suite(opts)))

if (argv.format === 'json') {
  process.stdout.write(`${JSON.stringify({ node: process.version, options: opts, rows }, null, 2)}\n`)
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
}
