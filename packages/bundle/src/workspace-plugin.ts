/** The esbuild plugin that moves workspace modules from packages/x/dist/ to app/ with what they load. */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, relative, resolve, sep } from 'node:path'
import type * as esbuild from 'esbuild'
import { pkgDirOf, readPkg, short } from './pkg.js'

export interface Entry {
  in: string
  out: string
}

/** What the onLoad patches found: more entries (app/<out>.js), assets to copy, URLs left alone. */
export interface Found {
  entries: Map<string, Entry>
  /** app-relative path -> source file */
  assets: Map<string, string>
  unhandled: Set<string>
}

const PKG_READ =
  /createRequire\(\s*import\.meta\.url\s*\)\(\s*(['"])(\.\.?\/(?:\.\.\/)*package\.json)\1\s*\)/g
const REL_URL = /new URL\(\s*(['"])(\.\.?\/[^'"]*)\1\s*,\s*import\.meta\.url\s*\)/g
const SELF_URL = /JSON\.stringify\(\s*import\.meta\.url\s*\)/g

/**
 * Patches for workspace modules, whose code moves from packages/x/dist/ to app/:
 * - `createRequire(import.meta.url)('../package.json')` becomes that package.json, inlined;
 * - `new URL('./worker.js', import.meta.url)` (a worker thread, a child process's script, a
 *   `node --import` hook; any relative path): that module becomes the entry app/<package>-worker.js
 *   and the URL './<package>-worker.js', which every bundled module, sitting in app/, resolves to it;
 * - `new URL('../x/data.py', import.meta.url)`, a file that is not JavaScript: copied to
 *   app/assets/<package>/data.py and the URL pointed there;
 * - `JSON.stringify(import.meta.url)` (a module that imports itself in a child process, like
 *   @dualfit/onnx's GPU probe) points at an entry made of that module, so its exports are there.
 * Other relative URLs (a folder, a missing file) are left as they are and reported.
 */
export function workspacePlugin(root: string, found: Found): esbuild.Plugin {
  return {
    name: 'dualfit-workspace',
    setup(build) {
      build.onLoad({ filter: /\.m?js$/ }, (args) => {
        const file = args.path
        if (!file.startsWith(root + sep) || file.includes(`${sep}node_modules${sep}`)) return undefined
        let text = readFileSync(file, 'utf8')
        if (!text.includes('import.meta.url')) return undefined
        const pkg = readPkg(pkgDirOf(file))
        text = text.replace(PKG_READ, (_m, _q, rel: string) => {
          const json = readFileSync(resolve(dirname(file), rel), 'utf8')
          return `(${JSON.stringify(JSON.parse(json))})`
        })
        text = text.replace(REL_URL, (m, q: string, rel: string) => {
          const target = resolve(dirname(file), rel)
          const isFile = existsSync(target) && statSync(target).isFile()
          if (isFile && /\.m?js$/.test(target)) {
            const out = `${short(readPkg(pkgDirOf(target)).name)}-${basename(target).replace(/\.m?js$/, '')}`
            addEntry(found.entries, { in: target, out })
            return `new URL(${q}./${out}.js${q}, import.meta.url)`
          }
          if (isFile) {
            const at = `assets/${short(pkg.name)}/${basename(target)}`
            const had = found.assets.get(at)
            if (had && had !== target) throw new Error(`two assets at app/${at}: ${had} and ${target}`)
            found.assets.set(at, target)
            return `new URL(${q}./${at}${q}, import.meta.url)`
          }
          found.unhandled.add(`${relative(root, file)}: ${m}`)
          return m
        })
        if (text.search(SELF_URL) >= 0) {
          const out = `${short(pkg.name)}-${basename(file).replace(/\.m?js$/, '')}`
          addEntry(found.entries, { in: file, out })
          text = text.replace(SELF_URL, `JSON.stringify(new URL('./${out}.js', import.meta.url).href)`)
        }
        return { contents: text, loader: 'js', resolveDir: dirname(file) }
      })
    },
  }
}

export function addEntry(entries: Map<string, Entry>, e: Entry): void {
  const had = entries.get(e.out)
  if (had && had.in !== e.in) throw new Error(`two entries named app/${e.out}.js: ${had.in} and ${e.in}`)
  entries.set(e.out, e)
}
