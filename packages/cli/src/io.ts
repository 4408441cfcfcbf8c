import { readFileSync, statSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { UserError } from '@dualfit/core'
import writeFileAtomic from 'write-file-atomic'

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

/** Fails early, before any training, when `dir` exists but is not a folder. */
export function checkOutputDir(dir: string, option: string): void {
  let isDir = true
  try {
    isDir = statSync(dir).isDirectory()
  } catch {
    // absent: created when the results are written
  }
  if (!isDir) throw new UserError(`${option} '${dir}': exists and is not a folder`)
}

/** Fails early, before any training, when `path` is a folder or its folder is not one. */
export function checkOutputFile(path: string, option: string): void {
  checkOutputDir(dirname(path), option)
  let isDir = false
  try {
    isDir = statSync(path).isDirectory()
  } catch {
    // absent: written after training
  }
  if (isDir) throw new UserError(`${option} '${path}': is a folder, expected a file name`)
}

/** Writes each file through a temp file and a rename, so a reader never sees half a file. */
export async function writeFiles(dir: string, files: Record<string, string | Uint8Array>): Promise<string[]> {
  const written: string[] = []
  try {
    await mkdir(dir, { recursive: true })
    for (const [name, data] of Object.entries(files)) {
      const path = join(dir, name)
      await writeFileAtomic(path, typeof data === 'string' ? data : Buffer.from(data))
      written.push(path)
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    throw new UserError(`cannot write '${err.path ?? dir}': ${err.code ?? err.message}`)
  }
  return written
}

/** JSON with non-finite numbers spelled out (JSON has no Infinity or NaN). */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`
}
