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
