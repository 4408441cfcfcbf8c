/**
 * ONNX Runtime engines behind one small interface. Each engine's module is imported on first use,
 * so loading @dualfit/onnx costs nothing until a session is needed.
 */
import type { Device } from '@dualfit/core'
import type { InferenceSession, Tensor } from 'onnxruntime-node'

export const ORT_ENGINES = ['cpu', 'wasm', 'webgpu', 'cuda'] as const
export type OrtEngineId = (typeof ORT_ENGINES)[number]
export type OrtSession = InferenceSession
export type OrtTensor = Tensor
export type Feeds = Record<string, OrtTensor>

/** The part of an onnxruntime-* module that dualfit uses (onnxruntime-node and -web share the API). */
interface OrtModule {
  InferenceSession: { create(bytes: Uint8Array, options: InferenceSession.SessionOptions): Promise<InferenceSession> }
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

const SPECS: Record<OrtEngineId, { device: Device; pkg: 'onnxruntime-node' | 'onnxruntime-web'; provider: string }> = {
  cpu: { device: 'cpu', pkg: 'onnxruntime-node', provider: 'cpu' },
  wasm: { device: 'wasm', pkg: 'onnxruntime-web', provider: 'wasm' },
  webgpu: { device: 'gpu', pkg: 'onnxruntime-node', provider: 'webgpu' },
  cuda: { device: 'gpu', pkg: 'onnxruntime-node', provider: 'cuda' },
}

export function isOrtEngine(id: string): id is OrtEngineId {
  return (ORT_ENGINES as readonly string[]).includes(id)
}

export const deviceOf = (id: OrtEngineId): Device => SPECS[id].device

async function loadModule(pkg: 'onnxruntime-node' | 'onnxruntime-web'): Promise<OrtModule & { version: string }> {
  if (pkg === 'onnxruntime-node') {
    const ort = await import('onnxruntime-node')
    ort.env.logLevel = 'error'
    return { InferenceSession: ort.InferenceSession, Tensor: ort.Tensor, version: ort.env.versions.common }
  }
  const ort = await import('onnxruntime-web')
  // Worker threads only add latency to graphs this small; one thread also keeps runs deterministic.
  ort.env.wasm.numThreads = 1
  ort.env.logLevel = 'error'
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
        logSeverityLevel: 3,
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
