const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
]

const isSpace = (c: number) =>
  c === 32 || c === 9 || c === 13 || c === 10 || c === 11 || c === 12 || c === 160

/**
 * A cell in decimal or scientific notation (1, -2.5, .5, 3., +1e-3, 2.5E+10), spaces around
 * allowed; NaN for anything else, an empty cell included (see isBlank).
 * Number() alone would also take 0x10, 0b1, 0o7 and Infinity, and turn "" into 0, hence the scan.
 * It also computes the value: with at most 15 digits and a power of ten up to 22, both operands
 * are exact doubles, so one multiply or divide rounds exactly as Number() would, at about half
 * its cost (this is the hot loop of a large CSV).
 */
export function parseNumber(s: string): number {
  let end = s.length
  let i = 0
  while (i < end && isSpace(s.charCodeAt(i))) i++
  while (end > i && isSpace(s.charCodeAt(end - 1))) end--
  let c = s.charCodeAt(i)
  let negative = false
  if (c === 45) {
    negative = true
    i++
  } else if (c === 43) i++
  let mantissa = 0
  let digits = 0
  let fraction = 0
  for (; i < end; i++) {
    c = s.charCodeAt(i)
    if (c < 48 || c > 57) break
    mantissa = mantissa * 10 + (c - 48)
    digits++
  }
  if (c === 46 && i < end) {
    for (i++; i < end; i++) {
      c = s.charCodeAt(i)
      if (c < 48 || c > 57) break
      mantissa = mantissa * 10 + (c - 48)
      digits++
      fraction++
    }
  }
  if (digits === 0) return Number.NaN
  let exponent = 0
  if (i < end) {
    if (c !== 101 && c !== 69) return Number.NaN // e E
    c = s.charCodeAt(++i)
    let negativeExponent = false
    if (c === 45) {
      negativeExponent = true
      i++
    } else if (c === 43) i++
    const first = i
    for (; i < end; i++) {
      c = s.charCodeAt(i)
      if (c < 48 || c > 57) break
      // Capped: beyond any double's range either way, and no loss of the integer.
      if (exponent < 100000) exponent = exponent * 10 + (c - 48)
    }
    if (i === first || i < end) return Number.NaN
    if (negativeExponent) exponent = -exponent
  }
  exponent -= fraction
  if (digits > 15 || exponent < -22 || exponent > 22) return Number(s)
  const v = exponent < 0 ? mantissa / (POW10[-exponent] as number) : mantissa * (POW10[exponent] as number)
  return negative ? -v : v
}

/** `s` without the spaces parseNumber allows around a number (a class label's text). */
export function trimSpaces(s: string): string {
  let end = s.length
  let i = 0
  while (i < end && isSpace(s.charCodeAt(i))) i++
  while (end > i && isSpace(s.charCodeAt(end - 1))) end--
  return i === 0 && end === s.length ? s : s.slice(i, end)
}

/** Empty or only spaces: a missing value. */
export function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isSpace(s.charCodeAt(i))) return false
  return true
}

/** 2^-126: below it float32 has only subnormals (fewer bits, and slow on some hardware) and 0. */
const MIN_NORMAL_FLOAT32 = 1.1754943508222875e-38

/**
 * Why a non-zero value vanishes in float32 (rounds to 0 or to a subnormal), or null. A learning
 * rate of 1e-50 would train with lr 0, and cells of 1e-40 scale the data into noise, both silently.
 */
export function underflowProblem(v: number, text?: string): string | null {
  const f = Math.fround(v)
  if (v === 0 || Number.isNaN(v) || Math.abs(f) >= MIN_NORMAL_FLOAT32) return null
  const to = f === 0 ? '0' : 'a subnormal'
  const what = text === undefined ? String(v) : shorten(text.trim())
  return `${what} is not zero but rounds to ${to} in float32 (the smallest normal float32 is 1.18e-38)`
}

/**
 * Why a value that is a number to JavaScript cannot be a float32 sample, or null when it can.
 * Rounding decides, not the literal bound: 3.4028235e38 (float32's max as numpy prints it) is fine.
 */
export function rangeProblem(v: number, text?: string): string | null {
  if (Number.isNaN(v)) return 'NaN is not allowed'
  // A literal like 1e400 is a number too large, not someone writing Infinity.
  if (text !== undefined && !Number.isFinite(Math.fround(v)))
    return `${shorten(text.trim())} overflows float32 (max 3.4e38)`
  if (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) return 'Infinity is not allowed'
  if (!Number.isFinite(Math.fround(v))) return `${v} overflows float32 (max 3.4e38)`
  return underflowProblem(v, text)
}

/**
 * A cheap superset of rangeProblem's failures, for hot loops: false means the value surely fits,
 * true means ask rangeProblem.
 */
export const mayNotFitFloat32 = (v: number): boolean => {
  const a = Math.abs(v)
  return !(a < 3.4e38) || (a < 1.2e-38 && v !== 0)
}

const shorten = (t: string) => (t.length > 40 ? `${t.slice(0, 37)}...` : t)

const NAN = /^[+-]?nan$/i
const INF = /^[+-]?inf(inity)?$/i
const NA = /^(na|n\/a|null|none|nil|-|\?)$/i

/** The message for a non-blank cell that parseNumber rejected. */
export function invalidCell(s: string, quoteValue: (s: string) => string): string {
  const t = s.trim()
  if (NAN.test(t)) return 'NaN is not allowed'
  if (INF.test(t)) return 'Infinity is not allowed'
  const hint = NA.test(t) ? ' (only an empty cell counts as missing)' : ''
  return `expected a number, got ${quoteValue(t)}${hint}`
}
