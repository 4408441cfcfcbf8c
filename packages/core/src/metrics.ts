/** Mean squared error over paired values. */
export function mse(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  check(pred, target)
  let s = 0
  for (let i = 0; i < pred.length; i++) {
    const d = (pred[i] as number) - (target[i] as number)
    s += d * d
  }
  return s / pred.length
}

/** Mean squared error of each column of row-major values with `columns` per row: one per output. */
export function mseByColumn(pred: ArrayLike<number>, target: ArrayLike<number>, columns: number): number[] {
  check(pred, target)
  const sums = new Array<number>(columns).fill(0)
  for (let i = 0; i < pred.length; i++) {
    const d = (pred[i] as number) - (target[i] as number)
    sums[i % columns] = (sums[i % columns] as number) + d * d
  }
  return sums.map((s) => (s * columns) / pred.length)
}

/** Mean absolute error over paired values. */
export function mae(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  check(pred, target)
  let s = 0
  for (let i = 0; i < pred.length; i++) s += Math.abs((pred[i] as number) - (target[i] as number))
  return s / pred.length
}

function check(a: ArrayLike<number>, b: ArrayLike<number>) {
  if (a.length !== b.length || a.length === 0)
    throw new RangeError(`metric needs equal, non-empty lengths, got ${a.length} and ${b.length}`)
}

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length
}

/** The middle value, or the mean of the two middle values; NaN for none. */
export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** Sample standard deviation (n - 1); 0 for a single value. */
export function sd(xs: number[]): number {
  if (xs.length < 2) return 0
  const m = mean(xs)
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1))
}
