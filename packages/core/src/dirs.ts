/**
 * Output folders: checked before any work, and made without `mkdir -p`'s recursion, which Node
 * retries forever where mkdir fails with ENOENT under an existing folder (/proc/self).
 */
import { randomBytes } from 'node:crypto'
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, type Stats, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'

/**
 * Makes `dir` and the folders above it that are missing, one at a time; returns the first one made
 * (to remove on failure), or null when `dir` already exists. Throws the failing mkdir's error.
 */
export function makeDirs(dir: string): string | null {
  const missing: string[] = []
  for (let at = resolve(dir); ; at = dirname(at)) {
    let found: Stats | null = null
    try {
      found = statSync(at)
    } catch {
      missing.push(at)
    }
    if (found && !found.isDirectory()) {
      // mkdir's own codes: the folder itself is a file (EEXIST), or a folder above it is (ENOTDIR).
      const code = missing.length === 0 ? 'EEXIST' : 'ENOTDIR'
      throw Object.assign(new Error(`${code}: '${at}' is a file`), { code })
    }
    if (found || dirname(at) === at) break
  }
  for (const d of missing.toReversed()) mkdirSync(d)
  return missing.at(-1) ?? null
}

/** The path itself or its nearest existing ancestor. */
function nearest(path: string): string {
  for (let at = resolve(path); ; at = dirname(at)) {
    try {
      statSync(at)
      return at
    } catch {
      // absent: look at the folder it would be made in
    }
    if (dirname(at) === at) return at
  }
}

/**
 * Why `dir` can neither be written in nor made, or null. Its nearest existing ancestor must be a
 * folder that takes a new file (tried with a temp file: a read-only folder, /proc or /sys do not,
 * even for root). `self`: say "exists and is not a folder" when `dir` itself is a file.
 */
export function outputProblem(dir: string, self = true): string | null {
  const at = nearest(dir)
  let folder = false
  try {
    folder = statSync(at).isDirectory()
  } catch {
    // gone since: reported below as not writable
  }
  if (!folder && self && at === resolve(dir)) return 'exists and is not a folder'
  if (!folder) return `'${at}' is a file, not a folder`
  const probe = tempName(join(at, 'probe'))
  try {
    closeSync(openSync(probe, 'wx'))
    rmSync(probe, { force: true })
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const why = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'not writable' : code
    return `cannot write in '${at}' (${why})`
  }
  return null
}

/** A temp file of dualfit's (`.NAME.dualfit-PID-HEX.tmp`, also the older `.NAME.PID.HEX.tmp`), with its PID. */
const TEMP = /^\..*\.(?:dualfit-)?(\d+)[.-][0-9a-f]{8}\.tmp$/

/** Whether `name` is one of dualfit's temp files. */
export const isTemp = (name: string) => TEMP.test(name)

/** A temp file beside `path`, named so that the next run can tell whether its writer is alive. */
export const tempName = (path: string) =>
  join(dirname(path), `.${basename(path)}.dualfit-${process.pid}-${randomBytes(4).toString('hex')}.tmp`)

/** Whether process `pid` is alive (EPERM: alive, someone else's). */
export function alive(pid: number): boolean {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Removes the temp files that runs since killed (their PID gone) left in `dir`. */
export function cleanDeadTemps(dir: string): void {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    const pid = TEMP.exec(name)?.[1]
    if (pid && !alive(Number(pid))) rmSync(join(dir, name), { force: true })
  }
}
