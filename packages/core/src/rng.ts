import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64'
import { uniformInt } from 'pure-rand/distribution/uniformInt'
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus'
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator'

/** FNV-1a over the key's UTF-16 units: a stable 32-bit stream id. */
function hash32(key: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/**
 * A seeded random stream. Every consumer (initial weights, batch order, fold shuffle)
 * draws from its own stream named by `keys`, so adding one never shifts the others.
 */
export class Rng {
  private readonly gen: RandomGenerator
  constructor(seed: number, ...keys: (string | number)[]) {
    this.gen = xoroshiro128plus(hash32(`${seed}|${keys.join('|')}`) ^ seed)
  }
  /** Uniform in [0, 1), 53 bits. */
  float(): number {
    return uniformFloat64(this.gen)
  }
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float()
  }
  /** Integer uniform in [0, n). */
  int(n: number): number {
    return uniformInt(this.gen, 0, n - 1)
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.float()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float())
  }
  /** Fisher-Yates shuffle of 0..n-1. */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n)
    for (let i = 0; i < n; i++) p[i] = i
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = p[i] as number
      p[i] = p[j] as number
      p[j] = t
    }
    return p
  }
}
