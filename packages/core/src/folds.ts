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
 * scikit-learn's StratifiedKFold (model_selection/_split.py, `_make_test_folds`): classes are
 * numbered in order of first appearance, the labels sorted, and fold i takes every k-th of them from
 * i on, so each class spreads over the folds as evenly as its size allows; the rows of a class go to
 * its folds in row order (unshuffled: equal to scikit-learn's folds) or in a seeded order. `labels`
 * are class indices; the caller has checked that every class has at least k rows.
 */
export function stratifiedKFold(labels: ArrayLike<number>, k: number, shuffle = false, seed = 0): Fold[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k-fold needs k >= 2, got ${k}`)
  const n = labels.length
  const encoded = new Int32Array(n)
  const firstSeen = new Map<number, number>()
  for (let i = 0; i < n; i++) {
    const label = labels[i] as number
    if (!firstSeen.has(label)) firstSeen.set(label, firstSeen.size)
    encoded[i] = firstSeen.get(label) as number
  }
  const classes = firstSeen.size
  const sorted = Int32Array.from(encoded).sort()
  // allocation[f][c]: rows of class c in test fold f, from the sorted labels' f-th, (f+k)-th, ...
  const allocation = Array.from({ length: k }, (_, f) => {
    const counts = new Array<number>(classes).fill(0)
    for (let i = f; i < n; i += k) counts[sorted[i] as number] = (counts[sorted[i] as number] as number) + 1
    return counts
  })
  const testFold = new Int32Array(n)
  for (let c = 0; c < classes; c++) {
    const foldsOfClass: number[] = []
    for (let f = 0; f < k; f++) for (let j = 0; j < (allocation[f]?.[c] ?? 0); j++) foldsOfClass.push(f)
    const order = shuffle ? new Rng(seed, 'stratified-kfold', c).permutation(foldsOfClass.length) : null
    let at = 0
    for (let i = 0; i < n; i++) {
      if (encoded[i] !== c) continue
      testFold[i] = foldsOfClass[order ? (order[at] as number) : at] as number
      at++
    }
  }
  return Array.from({ length: k }, (_, f) => {
    const test: number[] = []
    const train: number[] = []
    for (let i = 0; i < n; i++) (testFold[i] === f ? test : train).push(i)
    return { index: f, test, train }
  })
}
