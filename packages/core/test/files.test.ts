/** Bounded reads of a user's files. */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { formatBytes, MB, readBounded, readBoundedText } from '../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'dualfit-files-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('readBounded', () => {
  it('reads a regular file whole, and strips a UTF-8 BOM from text', () => {
    writeFileSync(join(dir, 'a.json'), '\ufeff{"a":1}')
    expect(readBounded(join(dir, 'a.json'), 'f', MB, 'a test').length).toBe(10)
    expect(readBoundedText(join(dir, 'a.json'), 'f', MB, 'a test')).toBe('{"a":1}')
  })

  it('refuses a file over the limit by its size, naming both', () => {
    const big = join(dir, 'big.json')
    writeFileSync(big, '')
    truncateSync(big, 3 * MB + MB / 2)
    expect(() => readBounded(big, "spec file 'big.json'", 2 * MB, 'a spec file')).toThrow(
      "spec file 'big.json': 3.5 MB is over the 2 MB limit for a spec file",
    )
  })

  it('refuses a folder, a device and a FIFO with no writer at once', () => {
    expect(() => readBounded(dir, 'x', MB, 'a test')).toThrow('x: cannot read (is a directory)')
    expect(() => readBounded('/dev/zero', 'x', MB, 'a test')).toThrow(
      'x: cannot read (not a regular file: a FIFO, a device or a socket)',
    )
    const fifo = join(dir, 'fifo')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    expect(() => readBounded(fifo, 'x', MB, 'a test')).toThrow('x: cannot read (not a regular file')
    expect(() => readBounded(join(dir, 'nope'), 'x', MB, 'a test')).toThrow('x: cannot read (no such file)')
  })

  it('formats sizes for people', () => {
    expect(formatBytes(512)).toBe('512 bytes')
    expect(formatBytes(64 * MB)).toBe('64 MB')
    expect(formatBytes(3.1 * 1024 * MB)).toBe('3.1 GB')
  })
})
