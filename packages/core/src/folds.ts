import { Rng } from './rng.js'

export interface Fold {
  index: number
  train: number[]
  test: number[]
}

/**
 * scikit-learn KFold semantics: the first n % k test folds get one extra sample;
 * without shuffle the test folds are consecutive runs of indices.
 */
export function kFold(n: number, k: number, shuffle = false, seed = 0): Fold[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k-fold needs k >= 2, got ${k}`)
  if (k > n) throw new RangeError(`k-fold needs at least k=${k} samples, got ${n}`)
  const order = shuffle
    ? Array.from(new Rng(seed, 'kfold').permutation(n))
    : Array.from({ length: n }, (_, i) => i)
  const folds: Fold[] = []
  let start = 0
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0)
    const test = order.slice(start, start + size)
    const inTest = new Set(test)
    folds.push({ index: f, test, train: order.filter((i) => !inTest.has(i)).sort((a, b) => a - b) })
    start += size
  }
  return folds
}

/**
 * The sample order of each epoch: a fresh seeded permutation per epoch when shuffling
 * (Keras fit's shuffle=True, a shuffling DataLoader), identity otherwise.
 */
export function batchOrder(n: number, shuffle: boolean, seed: number, ...stream: (string | number)[]) {
  const identity = Uint32Array.from({ length: n }, (_, i) => i)
  return (epoch: number): Uint32Array =>
    shuffle ? new Rng(seed, 'order', ...stream, epoch).permutation(n) : identity
}

/** Cuts an epoch's order into consecutive batches; the last may be smaller (drop_last=False). */
export function batches(order: Uint32Array, batchSize: number): Uint32Array[] {
  const out: Uint32Array[] = []
  for (let i = 0; i < order.length; i += batchSize) out.push(order.subarray(i, i + batchSize))
  return out
}
