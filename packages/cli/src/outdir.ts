/**
 * The `--out` folder: checked before any training, and replaced all at once at the end: the result
 * set is written into a temp folder beside it, which then takes its place, so a reader sees the
 * old set or the new one, never a mix, and an interruption leaves no temp file behind.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { copyFile, mkdir, writeFile } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { UserError } from '@dualfit/core'
import { JOURNAL } from './journal.js'

/** Temp folders being written: removed even when a second Ctrl-C exits at once. */
const pending = new Set<string>()
process.on('exit', () => {
  for (const p of pending) rmSync(p, { recursive: true, force: true })
})

/** A folder dualfit may replace: absent, empty, or one it wrote before. */
const OURS = ['results.json', JOURNAL]

function errno(e: unknown): string {
  const err = e as NodeJS.ErrnoException
  return err.code === 'ENOENT'
    ? 'its parent folder does not exist'
    : err.code === 'ENOTDIR'
      ? 'a part of the path is a file'
      : err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS'
        ? 'not writable'
        : (err.code ?? err.message)
}

/** Makes sure `dir` can receive a result set; creates it (for the journal). UserError otherwise. */
export function prepareOut(dir: string, option = '--out'): void {
  const rel = relative(resolve(dir), process.cwd())
  // Replacing the folder the process (and the user's shell) stands in would leave both in a deleted one.
  if (!rel.startsWith('..') && !isAbsolute(rel)) {
    throw new UserError(`${option} '${dir}': is or holds the current folder; name a folder inside it`)
  }
  let entries: string[] | null = null
  try {
    if (!statSync(dir).isDirectory()) throw new UserError(`${option} '${dir}': exists and is not a folder`)
    entries = readdirSync(dir)
  } catch (e) {
    if (e instanceof UserError) throw e
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(`${option} '${dir}': ${errno(e)}`)
  }
  if (entries && entries.length > 0 && !OURS.some((f) => entries?.includes(f))) {
    const some = entries.slice(0, 4).join(', ') + (entries.length > 4 ? ', ...' : '')
    throw new UserError(
      `${option} '${dir}': holds files dualfit did not write (${some}); name a new or empty folder`,
    )
  }
  try {
    mkdirSync(dir, { recursive: true })
  } catch (e) {
    throw new UserError(`${option} '${dir}': cannot create it (${errno(e)})`)
  }
}

/**
 * Writes `files` (name -> contents; names may hold subfolders) plus the `keep` files already in
 * `dir` into a temp folder beside it, then puts that folder in `dir`'s place.
 */
export async function writeResultSet(
  dir: string,
  files: Record<string, string | Uint8Array>,
  keep: string[] = [JOURNAL],
): Promise<string[]> {
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}`)
  const old = join(dirname(dir), `.${basename(dir)}.old-${process.pid}`)
  pending.add(tmp).add(old)
  try {
    await mkdir(tmp, { recursive: true })
    for (const [name, data] of Object.entries(files)) {
      await mkdir(dirname(join(tmp, name)), { recursive: true })
      await writeFile(join(tmp, name), data)
    }
    for (const name of keep) {
      await copyFile(join(dir, name), join(tmp, name)).catch(() => undefined)
    }
    let moved = false
    try {
      renameSync(dir, old)
      moved = true
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    }
    try {
      renameSync(tmp, dir)
    } catch (e) {
      if (moved) renameSync(old, dir)
      throw e
    }
  } catch (e) {
    throw new UserError(`cannot write the results to '${dir}': ${errno(e)}`)
  } finally {
    rmSync(tmp, { recursive: true, force: true })
    rmSync(old, { recursive: true, force: true })
    pending.delete(tmp)
    pending.delete(old)
  }
  return Object.keys(files).map((f) => join(dir, f))
}
