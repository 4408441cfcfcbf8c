import { randomBytes } from 'node:crypto'
import { readFileSync, rmSync, statSync } from 'node:fs'
import { mkdir, open, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { UserError } from '@dualfit/core'

/** Reads and parses a JSON file; a missing file or bad JSON is a one-line UserError naming the file. */
export function readJson(path: string, what: string): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? String(e))
    throw new UserError(`${what} '${path}': cannot read (${why})`)
  }
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new UserError(`${what} '${path}': not valid JSON (${(e as Error).message.split('\n')[0]})`)
  }
}

/** The path itself or its nearest existing ancestor, when that is not a folder; null when all is well. */
function fileInTheWay(dir: string): string | null {
  for (let at = resolve(dir); ; at = dirname(at)) {
    try {
      return statSync(at).isDirectory() ? null : at
    } catch {
      // absent: look at the folder it would be made in
    }
    if (dirname(at) === at) return null
  }
}

/** Fails early, before any training, when `dir` or the folder it would be made in is a file. */
export function checkOutputDir(dir: string, option: string): void {
  const file = fileInTheWay(dir)
  if (file === null) return
  if (file === resolve(dir)) throw new UserError(`${option} '${dir}': exists and is not a folder`)
  throw new UserError(`${option} '${dir}': '${file}' is a file, not a folder`)
}

/** Fails early, before any training, when `path` is a folder or its folder is not one. */
export function checkOutputFile(path: string, option: string): void {
  let isDir = false
  try {
    isDir = statSync(path).isDirectory()
  } catch {
    // absent: written after training
  }
  if (isDir) throw new UserError(`${option} '${path}': is a folder, expected a file name`)
  const file = fileInTheWay(dirname(path))
  if (file !== null) throw new UserError(`${option} '${path}': '${file}' is a file, not a folder`)
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** The paths among `paths` that exist. */
export function existing(paths: string[]): string[] {
  return paths.filter((p) => {
    try {
      statSync(p)
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
 * each goes to a temp file beside it (`.NAME.PID.RANDOM.tmp`, synced), and only when all are
 * written are they renamed into place, so a reader never sees half a file. On any error the temp
 * files, and the folders this call made, are removed before the one-line UserError. A file being
 * replaced keeps its permissions.
 */
export async function writeFiles(dir: string, files: Record<string, string | Uint8Array>): Promise<string[]> {
  const staged: { temp: string; path: string }[] = []
  const made: string[] = []
  let at = dir
  try {
    for (const name of Object.keys(files)) {
      at = join(dir, name)
      // A rename onto a folder fails only after the other files are in place: refuse it first.
      if (isFolder(at)) throw Object.assign(new Error('is a folder'), { code: 'EISDIR' })
    }
    for (const [name, data] of Object.entries(files)) {
      const path = join(dir, name)
      at = dirname(path)
      const first = await mkdir(at, { recursive: true })
      if (first) made.push(first)
      at = path
      const temp = join(
        dirname(path),
        `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
      )
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
    const err = e as NodeJS.ErrnoException
    throw new UserError(`cannot write '${at}': ${reason(err)}`)
  }
  return staged.map((s) => s.path)
}

/** A JSON.stringify replacer that spells out non-finite numbers (JSON has no Infinity or NaN). */
export const spellNonFinite = (_k: string, v: unknown) =>
  typeof v === 'number' && !Number.isFinite(v) ? String(v) : v

/** JSON with non-finite numbers spelled out. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, spellNonFinite, 2)}\n`
}
