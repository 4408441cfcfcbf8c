import { lstatSync, rmSync, statSync } from 'node:fs'
import { open, rename, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import {
  cleanDeadTemps,
  MB,
  makeDirs,
  outputProblem,
  readBoundedText,
  tempName,
  UserError,
} from '@dualfit/core'

/** The most a results file may hold: far above any real run's, well below what fills the memory. */
const RESULTS_LIMIT = 256 * MB

/**
 * Reads and parses a JSON file (a leading BOM ignored), read only from a regular file of at most
 * `limit` bytes; a missing, special or oversized file or bad JSON is a one-line UserError naming it.
 */
export function readJson(path: string, what: string, limit = RESULTS_LIMIT): unknown {
  const label = `${what} '${path}'`
  const text = readBoundedText(path, label, limit, `a ${what}`)
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new UserError(`${label}: not valid JSON (${(e as Error).message.split('\n')[0]})`)
  }
}

/** Fails early, before any training, when `dir` cannot be written in or made. */
export function checkOutputDir(dir: string, option: string): void {
  const problem = outputProblem(dir)
  if (problem) throw new UserError(`${option} '${dir}': ${problem}`)
}

/** Fails early, before any training, when `path` is a folder or cannot be written. */
function checkOutputFile(path: string, option: string): void {
  if (isFolder(path)) throw new UserError(`${option} '${path}': is a folder, expected a file name`)
  const problem = outputProblem(dirname(path), false)
  if (problem) throw new UserError(`${option} '${path}': ${problem}`)
}

/** checkOutputFile, and a file already at `path` is the user's: refused unless `force`. */
export function checkNewFile(path: string, option: string, force: boolean | undefined): void {
  checkOutputFile(path, option)
  if (!force && existing([path]).length > 0)
    throw new UserError(`${option} '${path}': a file is already there; ${FORCE} it`)
}

export const FORCE = 'pass --force to overwrite'

/** A yargs coerce for a path option: '' (or the option given twice) is refused rather than ignored. */
export const pathOption = (option: string) => (v: unknown) => {
  if (Array.isArray(v)) throw new UserError(`${option}: given ${v.length} times; give it once`)
  if (String(v).trim() === '') throw new UserError(`${option}: expected a path, got ''`)
  return String(v)
}

export function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** The paths among `paths` that exist (a link counts, even one to nothing). */
export function existing(paths: string[]): string[] {
  return paths.filter((p) => {
    try {
      lstatSync(p)
      return true
    } catch {
      return false
    }
  })
}

function reason(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'its folder does not exist'
    case 'ENOTDIR':
      return 'a part of the path is a file'
    case 'EISDIR':
      return 'is a folder'
    case 'EEXIST':
      return 'exists and is not a folder'
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return 'not writable'
    case 'ENOSPC':
      return 'no space left on the device'
    default:
      return err.code ?? err.message
  }
}

/** Temp files being written: removed on exit too (a second Ctrl-C exits at once). */
const temps = new Set<string>()
process.on('exit', () => {
  for (const t of temps) rmSync(t, { force: true })
})

/**
 * Writes the files into `dir` (names may hold sub-folders; folders made as needed) all or nothing:
 * each goes to a temp file beside it (`.NAME.dualfit-PID-HEX.tmp`, synced), and only when all are
 * written (and `beforeRename` has run: outdir.ts records them in its manifest) are they renamed
 * into place, so a reader never sees half a file. Temp files of dead runs in those folders are
 * removed first. On any error the temp files, and the folders this call made, are removed before
 * the one-line UserError. A file being replaced keeps its permissions.
 */
export async function writeFiles(
  dir: string,
  files: Record<string, string | Uint8Array>,
  beforeRename?: () => Promise<void>,
): Promise<string[]> {
  const staged: { temp: string; path: string }[] = []
  const made: string[] = []
  let at = dir
  try {
    for (const name of Object.keys(files)) {
      at = join(dir, name)
      // A rename onto a folder fails only after the other files are in place: refuse it first.
      if (isFolder(at)) throw Object.assign(new Error('is a folder'), { code: 'EISDIR' })
    }
    for (const folder of new Set(Object.keys(files).map((n) => dirname(join(dir, n))))) cleanDeadTemps(folder)
    for (const [name, data] of Object.entries(files)) {
      const path = join(dir, name)
      at = dirname(path)
      const first = makeDirs(at)
      if (first) made.push(first)
      at = path
      const temp = tempName(path)
      let mode = 0o666
      try {
        mode = (await stat(path)).mode & 0o7777
      } catch {
        // a new file: the default mode, less the umask
      }
      temps.add(temp)
      staged.push({ temp, path })
      const fh = await open(temp, 'wx', mode)
      try {
        await fh.writeFile(data)
        await fh.sync()
      } finally {
        await fh.close()
      }
    }
    await beforeRename?.()
    for (const { temp, path } of staged) {
      at = path
      await rename(temp, path)
      temps.delete(temp)
    }
  } catch (e) {
    for (const { temp } of staged) {
      await rm(temp, { force: true }).catch(() => {})
      temps.delete(temp)
    }
    // Folders this call made hold nothing else.
    for (const d of made.reverse()) await rm(d, { recursive: true, force: true }).catch(() => {})
    if (e instanceof UserError) throw e
    const err = e as NodeJS.ErrnoException
    throw new UserError(`cannot write '${at}': ${reason(err)}`)
  }
  return staged.map((s) => s.path)
}
