import { DataError, listColumns } from './errors.js'

/** What a reader needs from the options, checked. */
export interface Spec {
  label: string
  x: string[]
  y: string[]
  dropMissing: boolean
}

export const MISSING_HINT = 'missing value (drop such rows with dropMissing / --drop-missing)'

/**
 * Indices of the x then y columns in `columns`, or a DataError for the first one that is absent.
 * `extra` is appended to that message (e.g. a delimiter suggestion).
 */
export function resolveColumns(spec: Spec, columns: readonly string[], extra = ''): number[] {
  const index = new Map<string, number>()
  for (const [i, name] of columns.entries()) if (!index.has(name)) index.set(name, i)
  return [...spec.x, ...spec.y].map((name) => {
    const i = index.get(name)
    if (i !== undefined) return i
    const near = columns.find((c) => c.trim().toLowerCase() === name.trim().toLowerCase())
    const didYouMean = near === undefined ? '' : ` (did you mean "${near}"?)`
    throw new DataError(
      `${spec.label}: no column "${name}"${didYouMean} (columns: ${listColumns(columns)})${extra}`,
    )
  })
}
