import { listBuiltinDatasets } from '@dualfit/core'
import { textTable } from '@dualfit/report'
import { toJson } from '../io.js'

export function listDatasets(format: 'table' | 'json'): string {
  const list = listBuiltinDatasets()
  if (format === 'json') return toJson(list)
  const body = list.map((d) => [
    d.name,
    String(d.rows),
    `${d.columns.x.join(', ')} -> ${d.columns.y.join(', ')}`,
    d.description,
  ])
  return `${textTable(['dataset', 'rows', 'columns', 'description'], body)}\nUse one with {"dataset": {"builtin": NAME}} in a spec; your own file with --data FILE --x COLS --y COLS.\n`
}
