import { type Backend, BUILTIN_BACKENDS, type Device, type EngineChoice, loadBackend } from '@dualfit/core'

/** `name` or `name:engine`, e.g. 'torch-style:wasm'. */
export interface BackendChoice {
  name: string
  engine?: string
}

export function parseBackendList(values: string[] | undefined): BackendChoice[] {
  const items = (values && values.length > 0 ? values : BUILTIN_BACKENDS).flatMap((v) => v.split(','))
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

/** An engine named (`name:engine`, --engine) wins over --device; neither: the backend's preference. */
export function choice(engine: string | undefined, device: Device | undefined): EngineChoice {
  return engine ? { engine } : device ? { device } : {}
}
