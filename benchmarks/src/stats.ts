/** Statistics over timing samples: pure functions, the same for dualfit's rows and PyTorch's. */

function finite(xs: readonly number[]): number[] {
  return xs.filter((x) => Number.isFinite(x))
}

/** The middle value (mean of the two middle ones for an even count); NaN for no finite sample. */
export function median(xs: readonly number[]): number {
  const s = finite(xs).sort((a, b) => a - b)
  if (s.length === 0) return Number.NaN
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

export function mean(xs: readonly number[]): number {
  const s = finite(xs)
  return s.length === 0 ? Number.NaN : s.reduce((a, b) => a + b, 0) / s.length
}

/**
 * Mean after dropping the `trim` fraction of samples at each end (at least the fastest and the
 * slowest once there are 3 or more, as MLPerf drops the extremes of its runs); with fewer than 3
 * samples nothing is dropped.
 */
export function trimmedMean(xs: readonly number[], trim = 0.2): number {
  if (!(trim >= 0 && trim < 0.5)) throw new RangeError(`trim: expected 0 <= trim < 0.5, got ${trim}`)
  const s = finite(xs).sort((a, b) => a - b)
  if (s.length < 3) return mean(s)
  const k = Math.max(1, Math.floor(s.length * trim))
  return mean(s.slice(k, s.length - k))
}

export function min(xs: readonly number[]): number {
  const s = finite(xs)
  return s.length === 0 ? Number.NaN : Math.min(...s)
}

/** Sum of samples divided by a count: per-epoch time from a total, as trainMs / epochs. */
export function perUnit(total: number, count: number): number {
  return count > 0 && Number.isFinite(total) ? total / count : Number.NaN
}
