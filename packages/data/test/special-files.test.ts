/** A data file must be a regular file: a FIFO with no writer or a device is refused by stat, never opened. */
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { DataError, readTable } from '../src/index.js'
import { fixtures } from './helpers.js'

const { path } = fixtures()
const xy = { x: ['a'], y: ['b'], label: 'x.csv' }

const message = (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e: unknown) => (e instanceof DataError ? e.message : `not a DataError: ${e}`),
  )

describe('special files', () => {
  it('refuses a FIFO with no writer at once, rather than waiting for one', async () => {
    expect(spawnSync('mkfifo', [path('fifo.csv')]).status).toBe(0)
    expect(await message(readTable(path('fifo.csv'), xy))).toBe(
      'x.csv: cannot read (not a regular file: a FIFO, a device or a socket)',
    )
  })

  it('refuses a character device such as /dev/zero', async () => {
    expect(await message(readTable('/dev/zero', { ...xy, format: 'csv' }))).toBe(
      'x.csv: cannot read (not a regular file: a FIFO, a device or a socket)',
    )
  })
})
