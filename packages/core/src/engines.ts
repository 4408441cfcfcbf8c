/**
 * Engine resolution, in one place for every backend: as ONNX Runtime's resolveBackend, engines are
 * tried in the backend's order of preference, each probed lazily and once, and when none fits every
 * reason is reported together.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import type { Backend, Device, Engine, EngineInfo, Workload } from './backend.js'
import { UserError } from './errors.js'

/**
 * SwiftShader's Vulkan driver as Debian's chromium package ships it: with libvulkan1 and
 * VK_ICD_FILENAMES pointing here, both WebGPU engines find a software adapter (docs/backends.md).
 */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json'

/** Vulkan drivers that run on the CPU, by the library their ICD manifest names. */
const SOFTWARE_VULKAN: [RegExp, string][] = [
  [/vk_swiftshader/, 'SwiftShader'],
  [/vulkan_lvp/, 'lavapipe'],
]

/** ICD manifests in `entries` (files, or folders of *.json), in order; unreadable ones are left out. */
function manifests(entries: string[]): string[] {
  return entries.flatMap((p) => {
    try {
      if (!statSync(p).isDirectory()) return [p]
      return readdirSync(p)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => join(p, f))
    } catch {
      return []
    }
  })
}

/**
 * The software Vulkan driver a WebGPU engine runs on, or null. On Linux both WebGPU engines (Dawn in the
 * webgpu package, Dawn in onnxruntime-node) sit on Vulkan; neither reports its adapter to JS alike,
 * so this reads the ICD manifests the Vulkan loader would read: VK_DRIVER_FILES (or the older
 * VK_ICD_FILENAMES) plus VK_ADD_DRIVER_FILES, else its search folders (Vulkan-Loader
 * docs/LoaderDriverInterface.md, "Driver Discovery on Linux"). Software only when every driver
 * found is a software one: with a hardware driver there, Dawn prefers it.
 */
export function softwareGpu(env: NodeJS.ProcessEnv = process.env): string | null {
  if (process.platform !== 'linux') return null
  const list = (v: string | undefined) => (v ? v.split(':').filter(Boolean) : [])
  const home = env.XDG_DATA_HOME || join(homedir(), '.local/share')
  const folders = [
    ...list(env.XDG_CONFIG_DIRS || '/etc/xdg'),
    '/etc',
    home,
    ...list(env.XDG_DATA_DIRS || '/usr/local/share:/usr/share'),
  ].map((d) => join(d, 'vulkan/icd.d'))
  const chosen = list(env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES)
  const files = manifests([...(chosen.length ? chosen : folders), ...list(env.VK_ADD_DRIVER_FILES)])
  const names = files.map((f) => {
    let lib = ''
    try {
      const icd = (JSON.parse(readFileSync(f, 'utf8')) as { ICD?: { library_path?: string } }).ICD
      lib = resolve(dirname(f), icd?.library_path ?? '')
    } catch {
      // unreadable: counted as hardware below, which never mislabels a GPU as software
    }
    return SOFTWARE_VULKAN.find(([re]) => re.test(lib))?.[1] ?? null
  })
  const first = names[0]
  return first && names.every((n) => n !== null) ? first : null
}

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
  const out = { id: engine.id, device: engine.device, available: why === null, detail: why ?? engine.detail }
  // WebGPU engines only (every backend here names them 'webgpu'): CUDA never runs on Vulkan.
  const software = out.available && engine.id === 'webgpu' ? softwareGpu() : null
  return software
    ? {
        ...out,
        detail: `${out.detail}; on ${software}, a software adapter (the CPU): correct, not fast`,
        software,
      }
    : out
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
