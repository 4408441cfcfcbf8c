/** Reading a user's file (spec, results, journal, model) with a size cap, from regular files only. */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import { UserError } from './errors.js'

export const MB = 1024 * 1024
const CHUNK = MB

/** Bytes as a person reads them: '3.1 GB', '64 MB', '512 bytes'. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`
  const units = ['KB', 'MB', 'GB', 'TB']
  let v = n / 1024
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`
}

function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'no such file'
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
  return code ?? String(e)
}

/**
 * The bytes of `path`, at most `limit` of them. `label` names it in messages ("spec file 'x'").
 * The file is opened without blocking and checked by fstat before any read, so that a FIFO with no
 * writer, a device such as /dev/zero or a folder is refused at once rather than read without end.
 */
export function readBounded(path: string, label: string, limit: number, what: string): Buffer {
  let fd: number
  try {
    // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever (and ignore Ctrl-C).
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  } catch (e) {
    throw new UserError(`${label}: cannot read (${why(e)})`)
  }
  try {
    const info = fstatSync(fd)
    if (info.isDirectory()) throw new UserError(`${label}: cannot read (is a directory)`)
    if (!info.isFile())
      throw new UserError(`${label}: cannot read (not a regular file: a FIFO, a device or a socket)`)
    const over = (size: number) =>
      new UserError(`${label}: ${formatBytes(size)} is over the ${formatBytes(limit)} limit for ${what}`)
    if (info.size > limit) throw over(info.size)
    // Read to the end rather than to info.size (it may grow meanwhile), never past the limit.
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const chunk = Buffer.alloc(Math.min(CHUNK, limit + 1 - total))
      const got = readSync(fd, chunk, 0, chunk.length, null)
      if (got === 0) break
      chunks.push(chunk.subarray(0, got))
      total += got
      if (total > limit) throw over(total)
    }
    return Buffer.concat(chunks, total)
  } catch (e) {
    if (e instanceof UserError) throw e
    throw new UserError(`${label}: cannot read (${why(e)})`)
  } finally {
    closeSync(fd)
  }
}

/** readBounded as UTF-8 text, without a leading byte order mark (editors on Windows add one). */
export function readBoundedText(path: string, label: string, limit: number, what: string): string {
  const text = readBounded(path, label, limit, what).toString('utf8')
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}
