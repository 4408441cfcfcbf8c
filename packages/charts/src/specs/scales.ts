/** Log axes, and how many epochs a line draws. */

/** At most this many epochs per line (always the first and the last): more only slows the SVG down. */
export const MAX_EPOCHS = 1000

/** The x encoding of every per-epoch chart (loss, accuracy): whole epochs, about ten ticks. */
export const EPOCH_X = {
  field: 'epoch',
  type: 'quantitative' as const,
  title: 'epoch',
  axis: { tickMinStep: 1, labelFlush: false, tickCount: 10 },
}

export const positive = (v: number) => Number.isFinite(v) && v > 0

/** Labels of a log axis: 0.001 to 1000 as plain numbers, beyond that as 1e+4, 1e-5. */
const LOG_LABEL =
  "datum.value >= 1e4 || datum.value < 1e-3 ? format(datum.value, '.0e') : format(datum.value, '~g')"

/**
 * A log axis's ticks for values in [min, max]: the powers of ten around them, with the 2s and 5s
 * between when they span less than three decades (Vega's own ticks crowd 1,000 and 2,000).
 */
export function logTicks(values: number[]): number[] {
  const pos = values.filter(positive)
  if (pos.length === 0) return []
  const lo = Math.floor(Math.log10(Math.min(...pos)) + 1e-9)
  const hi = Math.max(Math.ceil(Math.log10(Math.max(...pos)) - 1e-9), lo + 1)
  const round = (v: number) => Number(v.toPrecision(6))
  if (hi - lo <= 2) {
    const ticks: number[] = []
    for (let e = lo; e < hi; e++) for (const m of [1, 2, 5]) ticks.push(round(m * 10 ** e))
    ticks.push(round(10 ** hi))
    return ticks
  }
  // Every k-th decade, at most 9 labels, the last one at or above the largest value.
  const every = Math.ceil((hi - lo) / 8)
  const ticks: number[] = []
  for (let e = lo; ; e += every) {
    ticks.push(round(10 ** e))
    if (e >= hi) break
  }
  return ticks
}

/** A log domain a little wider than the values, so that the end points are not on the frame. */
export function padLog(values: number[]): [number, number] {
  const lo = Math.min(...values)
  const hi = Math.max(...values)
  const f = (hi / lo) ** 0.04
  return [lo / f, hi * f]
}

export function logAxis(values: number[]) {
  const ticks = logTicks(values)
  return {
    scale: {
      type: 'log' as const,
      ...(ticks.length > 0 ? { domain: [ticks[0] as number, ticks[ticks.length - 1] as number] } : {}),
    },
    axis: { values: ticks, labelExpr: LOG_LABEL },
  }
}

/**
 * A range a little wider than the values (4% each side), so that no point sits on the frame; a
 * single value gets a range around it. Null when there are no values.
 */
export function paddedRange(values: number[]): [number, number] | null {
  if (values.length === 0) return null
  let lo = Math.min(...values)
  let hi = Math.max(...values)
  if (lo === hi) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) / 2 : 1
    lo -= d
    hi += d
  }
  const pad = (hi - lo) * 0.04
  return [lo - pad, hi + pad]
}
