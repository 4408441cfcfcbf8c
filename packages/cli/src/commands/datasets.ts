import { listBuiltinDatasets, toJson } from '@dualfit/core'
import { terminalWidth, textTable, wrapLine } from '@dualfit/report'
import type { Argv } from 'yargs'
import type { Command, Context } from '../options.js'

export function listDatasets(format: 'table' | 'json'): string {
  const list: (ReturnType<typeof listBuiltinDatasets>[number] & { classes?: string[] })[] =
    listBuiltinDatasets()
  if (format === 'json') return toJson(list)
  const body = list.map((d) => [
    d.name,
    String(d.rows),
    d.classes ? `${d.task}: ${d.classes.join(', ')}` : d.task,
    `${d.columns.x.join(', ')} -> ${d.columns.y.join(', ')}`,
    d.description,
  ])
  const width = terminalWidth()
  const use =
    'Use one with {"dataset": {"builtin": NAME}} in a spec, a classification one with loss cross_entropy or binary_cross_entropy (experiments/iris.json, moons.json); your own file with --data FILE --x COLS --y COLS.'
  return `${textTable(['dataset', 'rows', 'task', 'columns', 'description'], body, width)}\n${wrapLine(use, width)}\n`
}

export const datasetsCommand: Command = {
  name: 'datasets',
  register: (y: Argv, ctx: Context) =>
    y.command(
      'datasets',
      'List the built-in datasets with their rows, task (and classes) and columns',
      (o) => o.option('format', { choices: ['table', 'json'] as const, default: 'table' as const }),
      (a) => ctx.print(Promise.resolve(listDatasets(a.format))),
    ),
}
