import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Backend, BackendModule } from './backend.js'
import { UserError } from './errors.js'

/** The backends that ship with dualfit, listed when none is named. */
export const BUILTIN_BACKENDS = ['keras-style', 'torch-style']

const REQUIRED = ['train', 'predict', 'dispose'] as const

/** A short name `x` may be the package `x`, `@dualfit/x` or `dualfit-backend-x`, in that order. */
function candidates(name: string): string[] {
  if (name.startsWith('@') || name.startsWith('.') || name.includes('/')) return [name]
  return [name, `@dualfit/${name}`, `dualfit-backend-${name}`]
}

/**
 * Resolves a backend by short name or package name and creates it. Packages are looked up from
 * each of `from` (file URLs or directories) in turn, then from the current directory, so plugins
 * installed in the user's project are found.
 */
export async function loadBackend(name: string, from: string[] = []): Promise<Backend> {
  const names = candidates(name)
  let resolved: { pkg: string; path: string } | undefined
  search: for (const pkg of names) {
    for (const base of [...from, join(process.cwd(), 'package.json')]) {
      try {
        resolved = { pkg, path: createRequire(base).resolve(pkg) }
        break search
      } catch {
        // not visible from this base; try the next
      }
    }
  }
  if (!resolved) {
    throw new UserError(
      `backend '${name}': no installed package ${names.map((n) => `'${n}'`).join(' or ')} (built-in: ${BUILTIN_BACKENDS.join(', ')})`,
    )
  }
  const mod = (await import(pathToFileURL(resolved.path).href)) as Partial<BackendModule>
  if (typeof mod.createBackend !== 'function') {
    throw new UserError(`backend '${name}': package '${resolved.pkg}' does not export createBackend()`)
  }
  const backend = await mod.createBackend()
  const missing: string[] = REQUIRED.filter(
    (m) => typeof (backend as unknown as Record<string, unknown>)[m] !== 'function',
  )
  if (!Array.isArray(backend.engines)) missing.unshift('engines')
  if (typeof backend.id !== 'string' || missing.length > 0) {
    throw new UserError(`backend '${name}': not a dualfit Backend (missing ${missing.join(', ') || 'id'})`)
  }
  return backend
}
