/** Which imported packages are shipped as files in app/node_modules rather than bundled. */
import { readdirSync, realpathSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join } from 'node:path'
import type * as esbuild from 'esbuild'
import { findPkg, readPkg } from './pkg.js'

export const PLATFORM = 'linux-x64'

/**
 * Packages shipped as files rather than bundled, because they load .node/.wasm/worker files relative
 * to themselves. Besides these, any package with a native addon (a .node file in it or in one of its
 * installed optional dependencies, e.g. napi-rs' per-platform packages) is shipped the same way.
 */
export const EXTERNAL = ['onnxruntime-node', 'onnxruntime-web', 'onnxruntime-common', 'piscina', 'webgpu']

const nativeCache = new Map<string, boolean>()

/** Whether the package in `dir`, or one of its installed optional dependencies, holds a .node addon. */
function isNative(dir: string): boolean {
  const real = realpathSync(dir)
  let native = nativeCache.get(real)
  if (native === undefined) {
    const hasAddon = (d: string): boolean =>
      readdirSync(d, { withFileTypes: true }).some((e) =>
        e.isDirectory() ? e.name !== 'node_modules' && hasAddon(join(d, e.name)) : e.name.endsWith('.node'),
      )
    const optional = Object.keys((readPkg(real).json.optionalDependencies as Record<string, string>) ?? {})
    native =
      hasAddon(real) ||
      optional.some((dep) => {
        try {
          return hasAddon(findPkg(dep, real))
        } catch {
          return false // another platform's, not installed here
        }
      })
    nativeCache.set(real, native)
  }
  return native
}

/** The package name of a bare import ('@scope/name/sub' -> '@scope/name'), or null for other paths. */
export function packageName(path: string): string | null {
  if (
    path.startsWith('.') ||
    path.startsWith('/') ||
    path.startsWith('node:') ||
    builtinModules.includes(path)
  )
    return null
  const parts = path.split('/')
  return path.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string)
}

/** Marks the shipped packages external (the known ones and any with a native addon) and records where each was found. */
export function externalPlugin(root: string, seen: Map<string, string>): esbuild.Plugin {
  return {
    name: 'dualfit-external',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        const name = packageName(args.path)
        if (!name || name.startsWith('@dualfit/') || name === 'dualfit') return undefined
        let dir: string
        try {
          dir = realpathSync(findPkg(name, args.resolveDir || root))
        } catch {
          return undefined // esbuild reports it
        }
        if (!EXTERNAL.includes(name) && !isNative(dir)) return undefined
        const had = seen.get(name)
        if (had && had !== dir) throw new Error(`two copies of ${name} imported: ${had} and ${dir}`)
        seen.set(name, dir)
        return { path: args.path, external: true }
      })
    },
  }
}
