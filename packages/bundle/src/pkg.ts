/** Packages on disk: their package.json, where Node finds them, their files. */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** This package's src/ or dist/ folder, from which the CLI and the Node runtime are resolved. */
export const here = dirname(fileURLToPath(import.meta.url))
/** The workspace root (this file is packages/bundle/src or packages/bundle/dist). */
export const WORKSPACE = resolve(here, '../../..')

export interface Pkg {
  name: string
  version: string
  dir: string
  json: Record<string, unknown> & { exports?: unknown; bin?: unknown }
}

export function readPkg(dir: string): Pkg {
  const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  return { name: json.name, version: json.version, dir, json }
}

/** The folder of the package that owns `file`: the nearest package.json with a name. */
export function pkgDirOf(file: string): string {
  let dir = dirname(file)
  for (;;) {
    const p = join(dir, 'package.json')
    if (existsSync(p) && JSON.parse(readFileSync(p, 'utf8')).name) return dir
    const up = dirname(dir)
    if (up === dir) throw new Error(`no package.json above ${file}`)
    dir = up
  }
}

/** Resolves a package as Node would from `fromDir`, and returns its folder (works whatever its exports say). */
export function findPkg(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    if (dirname(dir) === dir)
      throw new Error(`package '${name}' is not installed where ${fromDir} can see it`)
  }
}

export function resolveFrom(fromDir: string, spec: string): string {
  return createRequire(join(fromDir, 'package.json')).resolve(spec)
}

export function walk(dir: string, base = dir): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...walk(p, base))
    else out.push(relative(base, p).split(sep).join('/'))
  }
  return out.sort()
}

export function dirBytes(dir: string): number {
  return walk(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0)
}

/** Copies the files of `src` that `keep` accepts (and package.json, LICENSE*) to `dest`. */
export function copyPkg(src: string, dest: string, keep: (rel: string) => boolean): number {
  let n = 0
  for (const rel of walk(src)) {
    if (rel.includes('node_modules/')) continue
    if (rel !== 'package.json' && !/^LICEN[CS]E/i.test(rel) && !keep(rel)) continue
    mkdirSync(dirname(join(dest, rel)), { recursive: true })
    copyFileSync(join(src, rel), join(dest, rel))
    n++
  }
  return n
}

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`)
}

/** `exports` of a workspace package as (subpath, file) pairs, e.g. ['./profile', '/…/dist/profile.js']. */
export function exportTargets(pkg: Pkg): [string, string][] {
  const exp = pkg.json.exports
  const target = (v: unknown): string | undefined =>
    typeof v === 'string'
      ? v
      : v && typeof v === 'object'
        ? target((v as Record<string, unknown>).import ?? (v as Record<string, unknown>).default)
        : undefined
  const map: Record<string, unknown> =
    typeof exp === 'string' ||
    (exp && typeof exp === 'object' && !Object.keys(exp).some((k) => k.startsWith('.')))
      ? { '.': exp }
      : ((exp as Record<string, unknown>) ?? { '.': (pkg.json.main as string) ?? './index.js' })
  const out: [string, string][] = []
  for (const [sub, v] of Object.entries(map)) {
    const t = target(v)
    if (t?.endsWith('.js') && !sub.includes('*')) out.push([sub, resolve(pkg.dir, t)])
  }
  return out
}

/** A package's name without its scope, e.g. 'keras-style' for '@dualfit/keras-style'. */
export const short = (name: string) => name.replace(/^@[^/]+\//, '')
