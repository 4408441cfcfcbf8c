/** Option parsers and groups that more than one command shares. */
import { UserError } from '@dualfit/core'
import { TABLE_FORMATS } from '@dualfit/data'
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
  /** Aborted on Ctrl-C. */
  signal: AbortSignal
  /** Prints what the command returns, once it is done. */
  print: (job: Promise<string>) => Promise<void>
}

export function positiveInt(name: string) {
  return (v: unknown) => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 1)
      throw new UserError(`--${name}: expected a positive integer, got '${v}'`)
    return n
  }
}

export function nonNegativeInt(name: string) {
  return (v: unknown) => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0) throw new UserError(`--${name}: expected an integer >= 0, got '${v}'`)
    return n
  }
}

/** --data and its column options (compare, train). */
export function dataOptions<T>(y: Argv<T>) {
  return y
    .option('data', {
      type: 'string',
      describe: "a CSV, TSV, JSON or JSONL file with a header row; replaces the spec's dataset",
    })
    .option('x', { type: 'string', array: true, describe: 'input column(s) of --data, comma-separated' })
    .option('y', { type: 'string', array: true, describe: 'target column(s) of --data, comma-separated' })
    .option('format-data', {
      choices: TABLE_FORMATS,
      describe: 'the data file format (default: from its extension)',
    })
    .option('drop-missing', {
      type: 'boolean',
      describe: 'drop rows with an empty input or target cell (default: fail on the first one)',
    })
}

export function dataArgs(a: {
  data?: string
  x?: (string | number)[]
  y?: (string | number)[]
  formatData?: string
  dropMissing?: boolean
}): DataArgs {
  return {
    ...(a.data !== undefined ? { data: a.data } : {}),
    ...(a.x ? { x: a.x.map(String) } : {}),
    ...(a.y ? { y: a.y.map(String) } : {}),
    ...(a.formatData !== undefined ? { formatData: a.formatData } : {}),
    ...(a.dropMissing !== undefined ? { dropMissing: a.dropMissing } : {}),
  }
}
