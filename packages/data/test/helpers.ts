import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect } from 'vitest'
import { DataError, type ReadTableOptions, readTable, type Table } from '../src/index.js'

/** A temp dir for this test file's fixtures, removed after its tests. */
export function fixtures() {
  let dir = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dualfit-data-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  const path = (name: string) => join(dir, name)
  /** Writes `name` and reads it back with `label: name`, so messages start with the bare name. */
  const read = async (name: string, content: string | Uint8Array, opts: ReadTableOptions): Promise<Table> => {
    await writeFile(path(name), content)
    return readTable(path(name), { label: name, ...opts })
  }
  /** The DataError message for reading `content` as `name`; fails the test if it reads fine. */
  const fail = async (
    name: string,
    content: string | Uint8Array,
    opts: ReadTableOptions,
  ): Promise<string> => {
    const err = await read(name, content, opts).then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(DataError)
    const message = (err as DataError).message
    expect(message).not.toMatch(/[\r\n]/)
    return message
  }
  return { path, read, fail, dir: () => dir }
}

export const f32 = (values: number[]) => Float32Array.from(values)
