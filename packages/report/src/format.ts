/** Numbers for reading: significant digits, exponents only where a fixed form would mislead. */
export function num(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—'
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞'
  if (x === 0) return '0'
  const a = Math.abs(x)
  if (a < 1e-3 || a >= 1e7) return x.toExponential(Math.max(0, digits - 2))
  // toPrecision keeps trailing zeros; Number() drops them.
  return String(Number(x.toPrecision(digits)))
}

/** A signed difference, always with its sign. */
export function signed(x: number | null | undefined, digits = 3): string {
  const s = num(x, digits)
  return x !== null && x !== undefined && x > 0 ? `+${s}` : s
}

export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '—'
  if (ms < 1) return `${num(ms * 1000, 3)} µs`
  if (ms < 1000) return `${num(ms, 3)} ms`
  return `${num(ms / 1000, 3)} s`
}

export function micros(us: number): string {
  return Number.isFinite(us) && us > 0 ? `${num(us, 3)} µs` : '—'
}

/** mean ± sd, or just the mean for a single value: for a score that is a mean by definition (CV). */
export function meanSd(s: { mean: number; sd: number; n: number } | null, digits = 4): string {
  if (!s) return '—'
  return s.n > 1 ? `${num(s.mean, digits)} ± ${num(s.sd, 2)}` : num(s.mean, digits)
}

/**
 * median [min–max] over seeds, or the value itself: robust to the one seed whose run spiked, and
 * shows the spread a mean ± sd would hide.
 */
export function stat(
  s: { median: number; min: number; max: number; n: number } | null,
  digits = 4,
  unit = '',
): string {
  if (!s) return '—'
  const u = unit ? ` ${unit}` : ''
  const [lo, hi] = [num(s.min, digits), num(s.max, digits)]
  // A spread below the digits shown is no spread to read.
  if (s.n === 1 || lo === hi) return `${num(s.median, digits)}${u}`
  return `${num(s.median, digits)} [${lo}–${hi}]${u}`
}

// Terminal escape sequences: CSI (ESC [ ... or the one-byte CSI), OSC (ESC ] ... BEL or ESC \),
// and the two-character ESC sequences. Removed whole, so that no "[31m" is left behind.
const ESCAPES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are what it removes
  /\u001b\[[0-?]*[ -/]*[@-~]?|\u009b[0-?]*[ -/]*[@-~]?|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[ -~]?/g
// Line breaks and tabs become one space.
const BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]+/g
// C0 and C1 controls, DEL, and the bidirectional overrides that reorder what a terminal shows.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what it removes
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/**
 * User text (a spec name, a column name, a grid value) for a terminal: escape sequences and
 * control characters removed, line breaks and tabs as one space, so a table keeps its shape and
 * nothing it prints can recolour, move or retitle the terminal.
 */
export function plain(s: string): string {
  return s.replace(ESCAPES, '').replace(BREAKS, ' ').replace(CONTROLS, '')
}

/**
 * Text for a Markdown table cell: plain, then every character that Markdown or HTML would read as
 * structure escaped (backslash, pipe, backtick, emphasis, links, tags).
 */
export function markdownCell(s: string): string {
  return plain(s).replace(/[\\`|*_~[\]<>]/g, '\\$&')
}

/** A line of Markdown text: a cell's escapes, and a leading heading, list, quote or rule marker escaped too. */
export function markdownLine(s: string): string {
  return markdownCell(s)
    .replace(/^(\s*)([#+=-])/, '$1\\$2')
    .replace(/^(\s*\d+)([.)])/, '$1\\$2')
}

/** OWASP's list for CSV injection: a cell starting with one of these is a formula to a spreadsheet. */
const FORMULA_START = /^[=+\-@\t\r]/

/**
 * A CSV cell of user text (never a number): escape sequences and control characters other than
 * tab, CR and LF removed; one that a spreadsheet would run as a formula gets a leading single quote
 * (OWASP's CSV injection advice); a cell with a quote, comma, line break or that leading quote is
 * put in double quotes, inner quotes doubled.
 */
export function csvText(s: string): string {
  // Escape sequences and controls go (the file is often printed); tab, CR and LF are CSV's to quote.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are what it removes
  const text = s.replace(ESCAPES, '').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, '')
  const safe = FORMULA_START.test(text) ? `'${text}` : text
  return /^'|[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}
