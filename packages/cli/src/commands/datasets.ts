import { listBuiltinDatasets, toJson } from '@dualfit/core'
import { terminalWidth, textTable, wrapLine } from '@dualfit/report'
import type { Argv } from 'yargs'
import type { Command, Context } from '../options.js'

export function listDatasets(format: 'table' | 'json'): string {
  const list = listBuiltinDatasets()
  if (format === 'json') return toJson(list)
  const body = list.map((d) => [
    d.name,
    String(d.rows),
    `${d.columns.x.join(', ')} -> ${d.columns.y.join(', ')}`,
    d.description,
  ])
  const width = terminalWidth()
  const use =
    'Use one with {"dataset": {"builtin": NAME}} in a spec; your own file with --data FILE --x COLS --y COLS.'
  return `${textTable(['dataset', 'rows', 'columns', 'description'], body, width)}\n${wrapLine(use, width)}\n`
}

export const datasetsCommand: Command = {
  name: 'datasets',
  register: (y: Argv, ctx: Context) =>
    y.command(
      'datasets',
      'List the built-in datasets with their rows and columns',
      (o) => o.option('format', { choices: ['table', 'json'] as const, default: 'table' as const }),
      (a) => ctx.print(Promise.resolve(listDatasets(a.format))),
    ),
}
