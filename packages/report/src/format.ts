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

/** mean ± sd, or just the mean for a single value. */
export function stat(s: { mean: number; sd: number; n: number } | null, digits = 4, unit = ''): string {
  if (!s) return '—'
  const u = unit ? ` ${unit}` : ''
  return s.n > 1 ? `${num(s.mean, digits)} ± ${num(s.sd, 2)}${u}` : `${num(s.mean, digits)}${u}`
}
