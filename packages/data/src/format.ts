export type TableFormat = 'csv' | 'tsv' | 'json' | 'jsonl'

export const TABLE_FORMATS: readonly TableFormat[] = ['csv', 'tsv', 'json', 'jsonl']

const BY_EXTENSION: Record<string, TableFormat> = {
  csv: 'csv',
  tsv: 'tsv',
  tab: 'tsv',
  json: 'json',
  jsonl: 'jsonl',
  ndjson: 'jsonl',
}

/** Format from the file extension (.csv .tsv .tab .json .jsonl .ndjson, case-insensitive), or null. */
export function formatFromPath(path: string): TableFormat | null {
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1)
  const dot = base.lastIndexOf('.')
  if (dot <= 0) return null
  return BY_EXTENSION[base.slice(dot + 1).toLowerCase()] ?? null
}

export const FORMAT_NAMES: Record<TableFormat, string> = {
  csv: 'CSV',
  tsv: 'TSV',
  json: 'JSON',
  jsonl: 'JSON Lines',
}
