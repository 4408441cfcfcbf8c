/**
 * The folders result sets go into (compare --out, merge --out, report --out). dualfit writes its
 * files beside whatever else a folder holds, each through a temp file and a rename, and never
 * deletes or overwrites a file it did not write: `.dualfit-manifest.json` (written last) lists
 * what it wrote with each file's sha256, and only a listed file whose bytes still match is its to
 * replace or remove. The journal files are not listed: journal.ts knows them by their header.
 */
import { createHash } from 'node:crypto'
import { lstatSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import {
  alive,
  cleanDeadTemps,
  isTemp,
  MB,
  makeDirs,
  readBoundedText,
  toJson,
  UserError,
} from '@dualfit/core'
import { checkOutputDir, isFolder, writeFiles } from './io.js'

const MANIFEST = '.dualfit-manifest.json'
/** What a result set writes at the top of its folder, and the folders it fills (charts/ ...). */
const RESULT_FILES = ['results.json', 'results.md', 'results.csv', 'report.html']
export const REPORT_FILES = ['report.html']
const FOLDERS = ['charts', 'models', 'ort']

interface Manifest {
  kind: 'dualfit.manifest'
  version: 1
  /** name -> sha256 of the bytes dualfit wrote. */
  files: Record<string, string>
  /** A write under way: these bytes are dualfit's too, since a killed write leaves old and new files mixed. */
  writing?: Record<string, string>
}

const EMPTY: Manifest = { kind: 'dualfit.manifest', version: 1, files: {} }
const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex')
const hashes = (v: unknown) =>
  v !== null &&
  typeof v === 'object' &&
  !Array.isArray(v) &&
  Object.values(v).every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h))

function readManifest(dir: string): Manifest {
  const path = join(dir, MANIFEST)
  try {
    lstatSync(path)
  } catch {
    return EMPTY
  }
  let m: Partial<Manifest> | null = null
  try {
    m = JSON.parse(readBoundedText(path, `'${path}'`, 16 * MB, 'a manifest'))
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e
  }
  if (
    m?.kind !== 'dualfit.manifest' ||
    m.version !== 1 ||
    !hashes(m.files) ||
    !(m.writing === undefined || hashes(m.writing))
  ) {
    throw new UserError(
      `'${path}' is not a dualfit manifest, so dualfit cannot tell its files from yours there; name another folder`,
    )
  }
  return m as Manifest
}

const writeManifest = (dir: string, m: Manifest) => writeFiles(dir, { [MANIFEST]: toJson(m) })

/** Whose a file is: absent, dualfit's (listed, bytes unchanged), changed since dualfit wrote it, or the user's. */
function owner(dir: string, m: Manifest, name: string): 'absent' | 'ours' | 'changed' | 'yours' {
  const path = join(dir, name)
  let file: boolean
  try {
    file = lstatSync(path).isFile()
  } catch {
    return 'absent'
  }
  const listed = [m.files, m.writing ?? {}].filter((f) => Object.hasOwn(f, name)).map((f) => f[name])
  if (listed.length === 0 || !file) return 'yours'
  return listed.includes(sha256(readFileSync(path))) ? 'ours' : 'changed'
}

/** The files a result set would write or replace: `names`, and all in charts/, models/ and ort/. */
function claimed(dir: string, names: string[]): string[] {
  const found = [...names]
  for (const folder of FOLDERS) {
    const at = join(dir, folder)
    let entries: string[]
    try {
      if (!statSync(at).isDirectory()) {
        found.push(folder)
        continue
      }
      entries = readdirSync(at, { recursive: true }).map(String)
    } catch {
      continue
    }
    for (const e of entries) if (!isTemp(basename(e)) && !isFolder(join(at, e))) found.push(join(folder, e))
  }
  return found
}

/** Temp files of runs since killed: in the folder, and the old whole-folder temp (`.DIR.tmp-PID`) beside it. */
function cleanLeftovers(dir: string): void {
  for (const folder of ['', ...FOLDERS]) cleanDeadTemps(join(dir, folder))
  const parent = dirname(resolve(dir))
  const prefix = `.${basename(resolve(dir))}.tmp-`
  let names: string[] = []
  try {
    names = readdirSync(parent)
  } catch {
    return
  }
  for (const name of names) {
    const pid = name.startsWith(prefix) ? name.slice(prefix.length) : ''
    if (/^\d+$/.test(pid) && !alive(Number(pid))) rmSync(join(parent, name), { recursive: true, force: true })
  }
}

/** One line naming the first file that is not dualfit's to replace. */
function refusal(dir: string, m: Manifest, names: string[]): string | null {
  const theirs = names
    .map((n) => [n, owner(dir, m, n)] as const)
    .filter(([, o]) => o === 'changed' || o === 'yours')
  const [first] = theirs
  if (!first) return null
  const more = theirs.length > 1 ? ` (and ${theirs.length - 1} more)` : ''
  const how = first[1] === 'changed' ? 'was changed after dualfit wrote it' : 'was not written by dualfit'
  return `'${join(dir, first[0])}'${more} ${how}, and dualfit never replaces your files; move it away or name another folder`
}

/**
 * Checks, before any work, that a result set (`names`, charts/, models/, ort/) can be written into
 * `dir` without replacing a file of the user's; removes dead runs' temp files; makes `dir` when
 * `create` (the journal goes there as the run goes). UserError otherwise.
 */
export function prepareOut(dir: string, option = '--out', names = RESULT_FILES, create = true): void {
  checkOutputDir(dir, option)
  cleanLeftovers(dir)
  const problem = refusal(dir, readManifest(dir), claimed(dir, names))
  if (problem) throw new UserError(`${option} '${dir}': ${problem}`)
  if (!create) return
  try {
    makeDirs(dir)
  } catch (e) {
    throw new UserError(`${option} '${dir}': cannot create it (${(e as NodeJS.ErrnoException).code})`)
  }
}

/**
 * Writes `files` (name -> contents; names may hold subfolders) into `dir` beside what else is
 * there, then the manifest. With `replace`, the files the last set wrote and this one does not
 * are removed (only those still as dualfit wrote them); without, they stay listed (report).
 * Returns the paths written.
 */
export async function writeResultSet(
  dir: string,
  files: Record<string, string | Uint8Array>,
  replace = true,
): Promise<string[]> {
  const m = readManifest(dir)
  // Checked before the run; checked again for what may have appeared since.
  const problem = refusal(dir, m, Object.keys(files))
  if (problem) throw new UserError(`cannot write the results to '${dir}': ${problem}`)
  const fresh = Object.fromEntries(Object.entries(files).map(([n, data]) => [n, sha256(data)]))
  const written = await writeFiles(dir, files, async () => {
    await writeManifest(dir, { ...m, writing: fresh })
  })
  const kept: Record<string, string> = {}
  for (const [name, hash] of Object.entries(m.files)) {
    if (Object.hasOwn(fresh, name) || owner(dir, m, name) !== 'ours') continue
    if (!replace) {
      kept[name] = hash
      continue
    }
    rmSync(join(dir, name), { force: true })
    // A folder the old set filled and the new one does not, now empty.
    if (dirname(name) !== '.') rmdirEmpty(join(dir, dirname(name)))
  }
  await writeManifest(dir, { ...EMPTY, files: { ...kept, ...fresh } })
  return written
}

function rmdirEmpty(path: string): void {
  try {
    rmdirSync(path)
  } catch {
    // not empty: it holds other files
  }
}
