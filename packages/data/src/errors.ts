/** A problem with the user's data file or options. The message is one line that names the file. */
export class DataError extends Error {
  override readonly name = 'DataError'
  constructor(message: string) {
    // Messages quote user text; a stray newline would break the one-line contract.
    super(message.replace(/\s*[\r\n]+\s*/g, ' '))
  }
}

/** Quotes a value for a message, cut to about 40 characters, every control character escaped. */
export function quote(value: string, max = 40): string {
  const cut = value.length > max ? `${value.slice(0, max - 3)}...` : value
  // JSON escapes C0 controls only; DEL and C1 (U+009B is a terminal's CSI) get the same \u form.
  return JSON.stringify(cut).replace(
    /[\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/** "a, b, c" for a message; long lists end with "... (+N more)". */
export function listColumns(columns: readonly string[], maxChars = 200): string {
  if (columns.length === 0) return 'none'
  const shown: string[] = []
  let used = 0
  for (const name of columns) {
    const item = name === '' ? '""' : name.length > 40 ? `${name.slice(0, 37)}...` : name
    if (shown.length > 0 && used + item.length + 2 > maxChars) break
    shown.push(item)
    used += item.length + 2
  }
  const more = columns.length - shown.length
  return more > 0 ? `${shown.join(', ')}, ... (+${more} more)` : shown.join(', ')
}
