/**
 * TF.js engines. tfjs has one global engine per process, so jobs run one at a time (`exclusive`)
 * and each switches to its own engine with `tf.setBackend`.
 */
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Engine as CoreEngine, Device, Workload } from '@dualfit/core'
import * as tf from '@tensorflow/tfjs-core'
import '@tensorflow/tfjs-backend-cpu'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'

const require = createRequire(import.meta.url)

interface Engine {
  id: string
  device: Device
  /** What tfjs calls the backend; null when it cannot run in Node at all. */
  backend: string | null
  detail: string
  /** Loads and initializes the backend once; resolves to why it is unavailable, or null. */
  init?: () => Promise<string | null>
  /** Whether init would succeed, asked without initializing here (default: init itself). */
  probe?: () => Promise<string | null>
}

/**
 * In order of preference. cpu first, measured not assumed (README): a Dense(1) step is ~75 tiny
 * kernels, so the cost of launching one decides, and JavaScript kernels launch faster than calls
 * into WebAssembly.
 */
const ENGINES: Engine[] = [
  {
    id: 'cpu',
    device: 'cpu',
    backend: 'cpu',
    detail: 'TF.js pure-JavaScript kernels (@tensorflow/tfjs-backend-cpu)',
    init: initCpu,
  },
  {
    id: 'wasm',
    device: 'wasm',
    backend: 'wasm',
    detail: 'TF.js WebAssembly kernels, SIMD (@tensorflow/tfjs-backend-wasm, .wasm from its package)',
    init: initWasm,
  },
  {
    id: 'node',
    device: 'cpu',
    backend: 'tensorflow',
    detail: 'libtensorflow through @tensorflow/tfjs-node',
    init: initNode,
  },
  {
    id: 'webgl',
    device: 'gpu',
    backend: null,
    detail: 'TF.js WebGL needs a browser WebGL context (@tensorflow/tfjs-backend-webgl); none in Node',
  },
  {
    id: 'webgpu',
    device: 'gpu',
    backend: 'webgpu',
    detail: 'TF.js WebGPU kernels (@tensorflow/tfjs-backend-webgpu) on Dawn for Node (the webgpu package)',
    init: initWebgpu,
    // Dawn prints its driver search to stderr and a broken driver can take the process down.
    probe: () => probeInChild('webgpu'),
  },
]

const state = new Map<string, Promise<string | null>>()

function whyUnavailable(e: Engine): Promise<string | null> {
  let p = state.get(e.id)
  if (!p) {
    p = e.init ? e.init() : Promise.resolve(e.detail)
    state.set(e.id, p)
  }
  return p
}

/** The engines as core sees them; a probe initializes the backend, so it queues like a job. */
export const KERAS_ENGINES: CoreEngine[] = ENGINES.map((e) => ({
  id: e.id,
  device: e.device,
  detail: e.detail,
  probe: e.probe ?? (() => exclusive(() => whyUnavailable(e))),
}))

/** Multiply-adds per step above which WebAssembly SIMD kernels beat JavaScript ones (README). */
const WASM_FROM_MACS = 4096

/**
 * The engine per workload: a step is ~75 kernels, so for small ones the cost of launching a kernel
 * decides (JavaScript launches faster); for large ones the arithmetic does (WebAssembly SIMD).
 */
export function chooseEngine(work: Workload): { engine: string; why: string } {
  let width = work.inputs
  let macs = 0
  for (const l of work.layers) {
    macs += work.batchSize * width * l.units
    width = l.units
  }
  const per = `${macs.toLocaleString('en-US')} multiply-add${macs === 1 ? '' : 's'} per step`
  // Faster than keras-style's other engine, not than other backends: the reason names the comparison.
  return macs >= WASM_FROM_MACS
    ? {
        engine: 'wasm',
        why: `${per}: steps this large run faster on keras-style's wasm kernels (SIMD) than on its cpu ones`,
      }
    : {
        engine: 'cpu',
        why: `${per}: steps this small run faster on keras-style's cpu kernels than on its wasm ones (kernel launches dominate)`,
      }
}

/** Makes `id` tfjs' current backend (core has already resolved it as available). */
export async function useEngine(id: string): Promise<void> {
  const e = ENGINES.find((x) => x.id === id)
  if (!e) throw new Error(`engine '${id}': keras-style offers ${ENGINES.map((x) => x.id).join(', ')}`)
  const why = await whyUnavailable(e)
  if (why !== null || !e.backend) throw new Error(`engine '${id}' of keras-style is not available: ${why}`)
  // Not tf.getBackend(): with none chosen yet it would initialize the highest-priority one (wasm).
  if (tf.engine().backendName !== e.backend) await tf.setBackend(e.backend)
}

/**
 * tfjs-backend-cpu prints an "install tfjs-node" banner on its first tensor write in Node, through
 * tfjs' own logger, which PROD mode mutes. Make that first write here under PROD, then restore the
 * flag: only the banner is silenced, tfjs' other warnings still reach users, console is untouched.
 */
async function initCpu(): Promise<string | null> {
  if (!(await tf.setBackend('cpu'))) return 'the cpu backend did not initialize'
  const prod = tf.env().getBool('PROD')
  tf.env().set('PROD', true)
  try {
    tf.tensor(0).dispose()
  } finally {
    tf.env().set('PROD', prod)
  }
  return null
}

/**
 * Dawn for Node provides `navigator.gpu` (Vulkan on Linux); tfjs-backend-webgpu registers itself
 * on import and finds the adapter there. Without a GPU, Dawn finds no adapter and says why.
 */
async function initWebgpu(): Promise<string | null> {
  let gpu: GPU
  try {
    const dawn = await import('webgpu')
    Object.assign(globalThis, dawn.globals)
    gpu = dawn.create([])
  } catch (e) {
    return `the webgpu package (Dawn for Node) does not load: ${(e as Error).message.split('\n')[0]}`
  }
  const adapter = await gpu.requestAdapter().catch(() => null)
  if (!adapter) return 'Dawn found no WebGPU adapter (no GPU, or no Vulkan driver: libvulkan1)'
  const nav = (globalThis as { navigator?: object }).navigator
  Object.defineProperty(globalThis, 'navigator', { value: { ...nav, gpu }, configurable: true })
  await import('@tensorflow/tfjs-backend-webgpu')
  return (await tf.setBackend('webgpu')) ? null : 'the WebGPU backend did not initialize'
}

/** Runs an engine's init in a child process and reports its outcome (null: it works). */
function probeInChild(id: string): Promise<string | null> {
  // The built module, also when this one runs from source (tests).
  const self = new URL('../dist/engines.js', import.meta.url).href
  const script = `const { initEngine } = await import(${JSON.stringify(self)})
process.stdout.write(JSON.stringify({ why: await initEngine(${JSON.stringify(id)}) }))`
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 }, (err, stdout) => {
      try {
        resolve((JSON.parse(stdout) as { why: string | null }).why)
      } catch {
        resolve(`probe failed: ${err?.signal ?? err?.message.split('\n')[0] ?? 'no answer'}`)
      }
    })
  })
}

/** For probeInChild: initializes engine `id` in this process; why it is unavailable, or null. */
export function initEngine(id: string): Promise<string | null> {
  const e = ENGINES.find((x) => x.id === id)
  return e ? whyUnavailable(e) : Promise.resolve(`no engine '${id}'`)
}

async function initWasm(): Promise<string | null> {
  // The .wasm binaries ship next to the package's main file; a file path is read with fs in Node,
  // offline, wherever this package is installed. tfjs refuses new paths once wasm is initialized.
  if (!tf.findBackend('wasm')) {
    setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`)
  }
  return (await tf.setBackend('wasm')) ? null : 'the WebAssembly module did not initialize'
}

/**
 * tfjs-node is never a dependency (its install downloads libtensorflow, which fails offline); it is
 * used only when the user's project already has it and it loads. It registers the 'tensorflow'
 * backend in the engine that all tfjs-core copies share (a global).
 */
async function initNode(): Promise<string | null> {
  const name = '@tensorflow/tfjs-node'
  let path: string | undefined
  for (const base of [import.meta.url, join(process.cwd(), 'package.json')]) {
    try {
      path = createRequire(base).resolve(name)
      break
    } catch {
      // not visible from this base; try the next
    }
  }
  if (!path)
    return `${name} is not installed (optional; its install downloads libtensorflow, which fails offline)`
  try {
    await import(pathToFileURL(path).href)
  } catch (e) {
    return `${name} is installed but does not load: ${(e as Error).message.split('\n')[0]}`
  }
  return tf.findBackendFactory('tensorflow') ? null : `${name} loaded but registered no 'tensorflow' backend`
}

let queue: Promise<unknown> = Promise.resolve()

/** Runs jobs one after another: they share tfjs' global engine and current backend. */
export function exclusive<T>(job: () => Promise<T>): Promise<T> {
  const run = queue.then(job, job)
  queue = run.catch(() => undefined)
  return run
}
