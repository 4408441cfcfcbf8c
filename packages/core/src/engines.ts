/**
 * Engine resolution, in one place for every backend: as ONNX Runtime's resolveBackend, engines are
 * tried in the backend's order of preference, each probed lazily and once, and when none fits every
 * reason is reported together.
 */
import type { Backend, Device, Engine, EngineInfo, Workload } from './backend.js'
import { UserError } from './errors.js'

const probes = new WeakMap<Backend, Map<string, Promise<string | null>>>()

function probe(backend: Backend, engine: Engine): Promise<string | null> {
  let cache = probes.get(backend)
  if (!cache) {
    cache = new Map()
    probes.set(backend, cache)
  }
  let p = cache.get(engine.id)
  if (!p) {
    // A probe that throws is an unavailable engine, not a crash.
    p = engine.probe().catch((e: unknown) => (e instanceof Error ? e.message : String(e)))
    cache.set(engine.id, p)
  }
  return p
}

async function info(backend: Backend, engine: Engine): Promise<EngineInfo> {
  const why = await probe(backend, engine)
  return { id: engine.id, device: engine.device, available: why === null, detail: why ?? engine.detail }
}

/** Every engine of a backend, probed; the first available one is marked default. */
export async function listEngines(backend: Backend): Promise<EngineInfo[]> {
  const out: EngineInfo[] = []
  let found = false
  for (const e of backend.engines) {
    const i = await info(backend, e)
    if (i.available && !found) {
      i.default = true
      found = true
    }
    out.push(i)
  }
  return out
}

export interface EngineChoice {
  /** An engine id, e.g. 'wasm' (from `name:engine` or --engine). */
  engine?: string
  /** Otherwise the backend's choice for the workload, or its first available engine, on this device. */
  device?: Device
  workload?: Workload
}

/** The engine to run on, or a UserError that says why none can run here. */
export async function resolveEngine(backend: Backend, choice: EngineChoice = {}): Promise<EngineInfo> {
  const offered = backend.engines
  if (choice.engine !== undefined) {
    const e = offered.find((x) => x.id === choice.engine)
    if (!e) {
      throw new UserError(
        `engine '${choice.engine}': ${backend.id} offers ${offered.map((x) => x.id).join(', ')}`,
      )
    }
    const i = await info(backend, e)
    if (!i.available) throw new UserError(`engine '${e.id}' of ${backend.id} is not available: ${i.detail}`)
    return i
  }
  const candidates = choice.device ? offered.filter((e) => e.device === choice.device) : offered
  const pick = choice.workload && backend.chooseEngine?.(choice.workload)
  const picked = pick && candidates.find((e) => e.id === pick.engine)
  if (pick && picked) {
    const i = await info(backend, picked)
    if (i.available) return { ...i, chosen: pick.why }
  }
  const reasons: string[] = []
  for (const e of candidates) {
    const i = await info(backend, e)
    if (i.available) return i
    reasons.push(`${e.id}: ${i.detail}`)
  }
  throw new UserError(
    `--device ${choice.device ?? 'any'}: ${backend.id} has no available engine (${reasons.join('; ') || 'none offered'})`,
  )
}
