import { Rng } from './rng.js'

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
