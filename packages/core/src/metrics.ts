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

/**
 * Each row's class probabilities (K per row, float64) from a model's raw outputs: logits through
 * softmax (K outputs) or sigmoid (one output, giving [1 - p, p]); outputs that already are
 * probabilities (a softmax or sigmoid last layer) are taken as they are.
 */
export function classProbabilities(
  outputs: ArrayLike<number>,
  width: number,
  logits: boolean,
): { rows: number; classes: number; p: Float64Array } {
  const rows = outputs.length / width
  const classes = width === 1 ? 2 : width
  const p = new Float64Array(rows * classes)
  for (let r = 0; r < rows; r++) {
    if (width === 1) {
      const z = outputs[r] as number
      const p1 = logits ? 1 / (1 + Math.exp(-z)) : z
      p[r * 2] = 1 - p1
      p[r * 2 + 1] = p1
      continue
    }
    let top = Number.NEGATIVE_INFINITY
    for (let c = 0; c < width; c++) top = Math.max(top, outputs[r * width + c] as number)
    let sum = 0
    for (let c = 0; c < width; c++) {
      const v = outputs[r * width + c] as number
      const e = logits ? Math.exp(v - top) : v
      p[r * classes + c] = e
      sum += e
    }
    for (let c = 0; c < width; c++) p[r * classes + c] = (p[r * classes + c] as number) / sum
  }
  return { rows, classes, p }
}

/**
 * classProbabilities of a model's raw outputs: logits when its last layer is linear, else the
 * probabilities its softmax or sigmoid layer gives.
 */
export function modelProbabilities(
  layers: readonly { units: number; activation: string }[],
  outputs: ArrayLike<number>,
): { rows: number; classes: number; p: Float64Array } {
  const last = layers[layers.length - 1]
  return classProbabilities(outputs, last?.units ?? 1, last?.activation === 'linear')
}

/** The first class with the highest probability in row r (NaN rows predict class 0). */
export function argmaxRow(p: ArrayLike<number>, classes: number, r: number): number {
  let best = 0
  for (let c = 1; c < classes; c++)
    if ((p[r * classes + c] as number) > (p[r * classes + best] as number)) best = c
  return best
}

/**
 * Accuracy, mean log loss and the confusion matrix (counts[true][predicted]) of probabilities
 * against class indices. Log loss as scikit-learn's log_loss: probabilities clipped to
 * [eps, 1 - eps] with float64's eps, so a confident mistake costs 36 nats, not Infinity.
 */
export function classMetrics(
  probs: { rows: number; classes: number; p: Float64Array },
  labels: ArrayLike<number>,
): { accuracy: number; logLoss: number; confusion: number[][] } {
  const { rows, classes, p } = probs
  if (rows !== labels.length || rows === 0)
    throw new RangeError(`metric needs equal, non-empty lengths, got ${rows} and ${labels.length}`)
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0))
  const eps = Number.EPSILON
  let right = 0
  let loss = 0
  for (let r = 0; r < rows; r++) {
    const truth = labels[r] as number
    const predicted = argmaxRow(p, classes, r)
    const row = confusion[truth] as number[]
    row[predicted] = (row[predicted] as number) + 1
    if (predicted === truth) right++
    const pt = p[r * classes + truth] as number
    // NaN (a diverged model) stays NaN: it must not score as a good one.
    loss -= Math.log(Number.isNaN(pt) ? pt : Math.min(Math.max(pt, eps), 1 - eps))
  }
  return { accuracy: right / rows, logLoss: loss / rows, confusion }
}
