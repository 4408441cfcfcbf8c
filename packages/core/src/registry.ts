import { createRequire, isBuiltin } from 'node:module'
import { extname, isAbsolute, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Backend, BackendModule } from './backend.js'
import { UserError } from './errors.js'

/** The backends that ship with dualfit, listed when none is named. */
export const BUILTIN_BACKENDS = ['keras-style', 'torch-style']

/** Every required member of the Backend contract, with what it must be (optional ones are checked where used). */
const REQUIRED: Record<string, (v: unknown) => boolean> = {
  id: (v) => typeof v === 'string' && v.length > 0,
  version: (v) => typeof v === 'string',
  engines: Array.isArray,
  train: (v) => typeof v === 'function',
  settings: (v) => typeof v === 'function',
  predict: (v) => typeof v === 'function',
  dispose: (v) => typeof v === 'function',
}

const WHAT_IS_A_BACKEND =
  'a backend is an installed package, or a JavaScript module, that exports createBackend()'

/**
 * A short name `x` may be the package `x`, `@dualfit/x` or `dualfit-backend-x`, in that order.
 * Node's own modules (fs, child_process) are never candidates: importing one runs no backend.
 */
function candidates(name: string): string[] {
  if (name.startsWith('@') || name.startsWith('.') || name.includes('/')) return [name]
  return [name, `@dualfit/${name}`, `dualfit-backend-${name}`].filter((pkg) => !isBuiltin(pkg))
}

/**
 * The entry file of an installed package that resolution could not find: a workspace package not
 * built yet (its dist/ is missing). Null when the package itself is not there.
 */
function missingEntry(e: unknown): string | null {
  const file = /^Cannot find module '([^']+)'/.exec((e as Error).message ?? '')?.[1]
  return file && isAbsolute(file) ? file : null
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
      } catch (e) {
        const entry = missingEntry(e)
        if (entry)
          throw new UserError(
            `backend '${name}': package '${pkg}' is installed but not built: ${entry} is missing (run pnpm build in its workspace)`,
          )
        // not visible from this base; try the next
      }
    }
  }
  if (!resolved) {
    const builtin = isBuiltin(name) ? ` ('${name}' is a Node.js built-in module)` : ''
    throw new UserError(
      `backend '${name}': no installed package ${names.map((n) => `'${n}'`).join(' or ')}${builtin} (built-in: ${BUILTIN_BACKENDS.join(', ')}); ${WHAT_IS_A_BACKEND}`,
    )
  }
  if (!['.js', '.mjs', '.cjs'].includes(extname(resolved.path))) {
    throw new UserError(
      `backend '${name}': '${resolved.path}' is not a JavaScript module; ${WHAT_IS_A_BACKEND}`,
    )
  }
  const mod = (await import(pathToFileURL(resolved.path).href)) as Partial<BackendModule>
  if (typeof mod.createBackend !== 'function') {
    throw new UserError(
      `backend '${name}': package '${resolved.pkg}' does not export createBackend(); ${WHAT_IS_A_BACKEND}`,
    )
  }
  const backend = await mod.createBackend()
  // Refused here, before any trial runs, rather than when a run first needs the member.
  const members = backend as unknown as Record<string, unknown>
  const missing = Object.entries(REQUIRED)
    .filter(([m, ok]) => !ok(members[m]))
    .map(([m]) => m)
  if (missing.length > 0) {
    if (typeof members.dispose === 'function') await (backend as Backend).dispose()
    throw new UserError(
      `backend '${name}': package '${resolved.pkg}' is not a dualfit Backend: missing or wrong ${missing.join(', ')} (see docs/writing-a-backend.md)`,
    )
  }
  return backend
}
