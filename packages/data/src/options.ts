import { DataError, listColumns, quote } from './errors.js'

/** What a reader needs from the options, checked. */
export interface ReaderOptions {
  label: string
  x: string[]
  y: string[]
  dropMissing: boolean
  /** y is one column of class labels (labels.ts), not numbers. */
  labels: boolean
}

export const MISSING_HINT = 'missing value (drop such rows with dropMissing / --drop-missing)'

/**
 * Indices of the x then y columns in `columns`, or a DataError for the first one that is absent.
 * `extra` is appended to that message (e.g. a delimiter suggestion).
 */
export function resolveColumns(options: ReaderOptions, columns: readonly string[], extra = ''): number[] {
  const index = new Map<string, number>()
  for (const [i, name] of columns.entries()) if (!index.has(name)) index.set(name, i)
  return [...options.x, ...options.y].map((name) => {
    const i = index.get(name)
    if (i !== undefined) return i
    const near = columns.find((c) => c.trim().toLowerCase() === name.trim().toLowerCase())
    // --x me,ters asks for "me" and "ters"; the column "me,ters" takes an escaped comma. Unless
    // the commas are the file's delimiter (`extra` says so).
    const split =
      extra === ''
        ? columns.find((c) => c.includes(',') && c.split(',').some((part) => part.trim() === name))
        : undefined
    const didYouMean =
      near !== undefined
        ? ` (did you mean "${near}"?)`
        : split !== undefined
          ? ` (a column is named "${split}": --x and --y split on commas, so write it ${split.replaceAll(',', '\\,')})`
          : ''
    throw new DataError(
      `${options.label}: no column "${name}"${didYouMean} (columns: ${listColumns(columns)})${extra}`,
    )
  })
}

// C0 and C1 controls and DEL: column names and class labels are drawn in SVG charts, which cannot
// hold them, and printed. Tab aside: a TSV read as CSV has tabs in its names, and the delimiter hint
// says so.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what it refuses
const CONTROLS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/

/** Why `text` (a column name, a class label) cannot be shown as one, or null. */
export function controlProblem(what: string, text: string): string | null {
  const at = text.search(CONTROLS)
  if (at < 0) return null
  const code = text.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0')
  return `${what} ${quote(text)} holds a control character (U+${code})`
}

/** Why a column name (a header cell, a JSON key) cannot be one, or null. */
export function columnNameProblem(name: string): string | null {
  const problem = controlProblem('the column name', name)
  return problem && `${problem}; rename the column`
}
