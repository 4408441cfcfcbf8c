/** The protocol's arrays: base64 of little-endian float32 (uint32 for sample orders), row-major. */
import { endianness } from 'node:os'

const LITTLE = endianness() === 'LE'

function bytesOf(a: Float32Array | Uint32Array): Buffer {
  const b = Buffer.from(a.buffer, a.byteOffset, a.byteLength)
  return LITTLE ? b : Buffer.from(b).swap32()
}

export const encode = (a: Float32Array | Uint32Array): string => bytesOf(a).toString('base64')

/** Decodes `count` float32 values; throws when the payload holds another number of them. */
export function decodeF32(s: string, count: number, what: string): Float32Array {
  const b = Buffer.from(s, 'base64')
  if (b.length !== count * 4)
    throw new Error(`${what}: expected ${count} float32 value(s), got ${b.length / 4}`)
  if (!LITTLE) b.swap32()
  const out = new Float32Array(count)
  new Uint8Array(out.buffer).set(b)
  return out
}

/** Loss values: JSON has no NaN or Infinity, so python sends those as strings. */
export function decodeNumber(v: unknown): number {
  if (typeof v === 'number') return v
  if (v === 'NaN') return Number.NaN
  if (v === 'Infinity') return Number.POSITIVE_INFINITY
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY
  throw new Error(`expected a number, got ${JSON.stringify(v)}`)
}
