/**
 * ONNX Runtime engines behind one small interface. Each runtime package is imported on first use,
 * so a process that only exports models never loads ONNX Runtime.
 */
import { execFile } from 'node:child_process'
import type { Device } from '@dualfit/core'
import type { InferenceSession, Tensor } from 'onnxruntime-node'
import { exportOnnx } from './export.js'

export const ORT_ENGINES = ['cpu', 'wasm', 'webgpu', 'cuda'] as const
export type OrtEngineId = (typeof ORT_ENGINES)[number]
export type OrtSession = InferenceSession
export type OrtTensor = Tensor
export type Feeds = Record<string, OrtTensor>

/** The part of an onnxruntime-* module that dualfit uses (onnxruntime-node and -web share the API). */
interface OrtModule {
  InferenceSession: {
    create(bytes: Uint8Array, options: InferenceSession.SessionOptions): Promise<InferenceSession>
  }
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => Tensor
}

export interface OrtEngine {
  readonly id: OrtEngineId
  readonly device: Device
  /** Which runtime and execution provider, e.g. 'onnxruntime-node 1.30.0, cpu execution provider'. */
  readonly detail: string
  session(model: Uint8Array): Promise<OrtSession>
  /** A float32 tensor of this engine's own Tensor class (onnxruntime-web bundles a separate one). */
  tensor(data: Float32Array, dims: readonly number[]): OrtTensor
}

interface EngineSpec {
  device: Device
  pkg: 'onnxruntime-node' | 'onnxruntime-web'
  provider: string
  /** Appended to the reason when the engine is unavailable. */
  hint?: string
}

const SPECS: Record<OrtEngineId, EngineSpec> = {
  cpu: { device: 'cpu', pkg: 'onnxruntime-node', provider: 'cpu' },
  wasm: { device: 'wasm', pkg: 'onnxruntime-web', provider: 'wasm' },
  webgpu: { device: 'gpu', pkg: 'onnxruntime-node', provider: 'webgpu' },
  cuda: {
    device: 'gpu',
    pkg: 'onnxruntime-node',
    provider: 'cuda',
    hint: "its provider files come from onnxruntime-node's install script, and it needs an NVIDIA driver and CUDA 12",
  },
}

export function isOrtEngine(id: string): id is OrtEngineId {
  return (ORT_ENGINES as readonly string[]).includes(id)
}

export const deviceOf = (id: OrtEngineId): Device => SPECS[id].device

/** What runs each engine, before it is loaded. */
export const ENGINE_DETAIL = Object.fromEntries(
  ORT_ENGINES.map((id) => [id, `${SPECS[id].pkg}, ${SPECS[id].provider} execution provider`]),
) as Record<OrtEngineId, string>

async function loadModule(
  pkg: 'onnxruntime-node' | 'onnxruntime-web',
): Promise<OrtModule & { version: string }> {
  if (pkg === 'onnxruntime-node') {
    // Its telemetry leaves an empty /tmp/mat-debug-<pid>.log behind every process; opt out.
    process.env.ORT_DISABLE_TELEMETRY ??= '1'
    const ort = await import('onnxruntime-node')
    // Failures surface as exceptions; ORT's own log would print them a second time on stderr.
    ort.env.logLevel = 'fatal'
    return { InferenceSession: ort.InferenceSession, Tensor: ort.Tensor, version: ort.env.versions.common }
  }
  const ort = await import('onnxruntime-web')
  // Worker threads only add latency to graphs this small; one thread also keeps runs deterministic.
  ort.env.wasm.numThreads = 1
  ort.env.logLevel = 'fatal'
  return { InferenceSession: ort.InferenceSession, Tensor: ort.Tensor, version: ort.env.versions.common }
}

const loaded = new Map<OrtEngineId, Promise<OrtEngine>>()

/** The engine `id`, loaded once per process. Session creation, not loading, fails for a missing provider. */
export function loadEngine(id: OrtEngineId): Promise<OrtEngine> {
  let engine = loaded.get(id)
  if (!engine) {
    const spec = SPECS[id]
    engine = loadModule(spec.pkg).then((ort) => {
      const options: InferenceSession.SessionOptions = {
        executionProviders: [spec.provider],
        // The graphs are a few tiny ops: a thread pool costs more than it saves, and one thread is deterministic.
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        // Without the arena, large activations (a 1e6-row batch) go back to the OS after each run,
        // which halves peak memory there; a 7-row step measured the same either way.
        enableCpuMemArena: false,
        logSeverityLevel: 4,
      }
      return {
        id,
        device: spec.device,
        detail: `${spec.pkg} ${ort.version}, ${spec.provider} execution provider`,
        session: (model) => ort.InferenceSession.create(model, options),
        tensor: (data, dims) => new ort.Tensor('float32', data, dims),
      }
    })
    loaded.set(id, engine)
  }
  return engine
}

/** One line from an ORT error: its messages start with a source location and the failed check. */
function reason(e: unknown): string {
  const first = (e instanceof Error ? e.message : String(e)).split('\n')[0]?.trim() ?? ''
  return first.match(/ was false\. (.+)$/)?.[1] ?? first
}

export interface Probe {
  available: boolean
  /** What runs the engine, or why it cannot run here. */
  detail: string
}

/**
 * Loads engine `id` in this process and runs a tiny model (a provider can load yet find no device).
 * Exported for the child process of probeIsolated; use probeEngine.
 */
export async function probeHere(id: OrtEngineId): Promise<Probe> {
  const tiny = exportOnnx({
    inputs: 1,
    layers: [{ units: 1, activation: 'linear' }],
    weights: [{ inputs: 1, units: 1, kernel: Float32Array.of(2), bias: Float32Array.of(1) }],
  })
  try {
    const ort = await loadEngine(id)
    const session = await ort.session(tiny)
    const { y } = await session.run({ x: ort.tensor(Float32Array.of(3), [1, 1]) })
    await session.release()
    if (y?.data[0] !== 7)
      return { available: false, detail: `${ort.detail}: wrong result ${y?.data[0]} for 2*3+1` }
    return { available: true, detail: ort.detail }
  } catch (e) {
    const hint = SPECS[id].hint
    return { available: false, detail: hint ? `${reason(e)} (${hint})` : reason(e) }
  }
}

/**
 * GPU providers are tried in a child process: a driver that crashes cannot take this process down,
 * and what the GPU stack prints to stderr on a machine without one (Dawn's "Couldn't load Vulkan")
 * stays out of our output.
 */
function probeIsolated(id: OrtEngineId): Promise<Probe> {
  const script = `const { probeHere } = await import(${JSON.stringify(import.meta.url)})
process.stdout.write(JSON.stringify(await probeHere(${JSON.stringify(id)})))`
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 }, (err, stdout) => {
      try {
        resolve(JSON.parse(stdout) as Probe)
      } catch {
        resolve({
          available: false,
          detail: `probe failed: ${err?.signal ?? err?.message.split('\n')[0] ?? 'no answer'}`,
        })
      }
    })
  })
}

const probes = new Map<OrtEngineId, Promise<Probe>>()

/** Whether engine `id` works here, and what runs it or why not. Never throws; cached per process. */
export function probeEngine(id: OrtEngineId): Promise<Probe> {
  let probe = probes.get(id)
  if (!probe) {
    probe = SPECS[id].device === 'gpu' ? probeIsolated(id) : probeHere(id)
    probes.set(id, probe)
  }
  return probe
}
