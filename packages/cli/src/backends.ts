import { type Backend, type Device, type EngineInfo, loadBackend, UserError } from '@dualfit/core'

export const DEFAULT_BACKENDS = ['keras-style', 'torch-style']

/** `name` or `name:engine`, e.g. 'torch-style:wasm'. */
export interface BackendChoice {
  name: string
  engine?: string
}

export function parseBackendList(values: string[] | undefined): BackendChoice[] {
  const items = (values && values.length > 0 ? values : DEFAULT_BACKENDS).flatMap((v) => v.split(','))
  return items
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [name, engine] = s.split(':')
      return engine ? { name: name as string, engine } : { name: name as string }
    })
}

/** Loads a backend; the CLI's own location comes first so its bundled backends always resolve. */
export function load(name: string): Promise<Backend> {
  return loadBackend(name, [import.meta.url])
}

/** The engine to use: the one named, else the backend's preferred available engine on `device`. */
export async function pickEngine(backend: Backend, device?: Device, engine?: string): Promise<EngineInfo> {
  const engines = await backend.engines()
  if (engine) {
    const e = engines.find((x) => x.id === engine)
    if (!e)
      throw new UserError(`engine '${engine}': ${backend.id} offers ${engines.map((x) => x.id).join(', ')}`)
    if (!e.available) throw new UserError(`engine '${engine}' of ${backend.id} is not available: ${e.detail}`)
    return e
  }
  const candidates = device ? engines.filter((e) => e.device === device) : engines
  const pick = candidates.find((e) => e.available && e.default) ?? candidates.find((e) => e.available)
  if (!pick) {
    const why = candidates.map((e) => `${e.id}: ${e.detail}`).join('; ') || 'none offered'
    throw new UserError(`--device ${device ?? 'any'}: ${backend.id} has no available engine (${why})`)
  }
  return pick
}
