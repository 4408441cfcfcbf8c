import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Backend, BackendModule } from './backend.js'
import { UserError } from './errors.js'

/** Short names for the backends that ship with dualfit; anything else is a package name. */
export const BUILTIN_BACKENDS: Record<string, string> = {
  'keras-style': '@dualfit/keras-style',
  'torch-style': '@dualfit/torch-style',
}

const REQUIRED = ['engines', 'train', 'predict', 'exportOnnx', 'dispose'] as const

/**
 * Resolves a backend by short name or package name and creates it.
 * Packages are looked up from each of `from` (file URLs or directories) in turn,
 * then from the current directory, so plugins installed in the user's project are found.
 */
export async function loadBackend(name: string, from: string[] = []): Promise<Backend> {
  const pkg = BUILTIN_BACKENDS[name] ?? name
  let resolved: string | undefined
  for (const base of [...from, join(process.cwd(), 'package.json')]) {
    try {
      resolved = createRequire(base).resolve(pkg)
      break
    } catch {
      // not visible from this base; try the next
    }
  }
  if (!resolved) {
    const known = Object.keys(BUILTIN_BACKENDS).join(', ')
    throw new UserError(`backend '${name}': no installed package '${pkg}' (built-in: ${known})`)
  }
  const mod = (await import(pathToFileURL(resolved).href)) as Partial<BackendModule>
  if (typeof mod.createBackend !== 'function') {
    throw new UserError(`backend '${name}': package '${pkg}' does not export createBackend()`)
  }
  const backend = await mod.createBackend()
  const missing = REQUIRED.filter(
    (m) => typeof (backend as unknown as Record<string, unknown>)[m] !== 'function',
  )
  if (typeof backend.id !== 'string' || missing.length > 0) {
    throw new UserError(`backend '${name}': not a dualfit Backend (missing ${missing.join(', ') || 'id'})`)
  }
  return backend
}
