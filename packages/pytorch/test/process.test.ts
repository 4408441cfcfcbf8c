import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initialWeights, type LayerSpec, resolveOptimizer, type TrainJob } from '@dualfit/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createBackend, type PyTorchBackend } from '../src/index.js'
import { PYTHON, rejection, titled, unavailableReason } from './helpers.js'

const reason = await unavailableReason()

const LAYERS: LayerSpec[] = [{ units: 1, activation: 'linear' }]
const MODEL = { inputs: 1, layers: LAYERS, weights: initialWeights('keras', 1, LAYERS, 0) }
const X = Float32Array.of(1, 2, 3)

const job = (over: Partial<TrainJob> = {}): TrainJob => ({
  engine: 'cpu',
  model: { inputs: 1, layers: LAYERS },
  loss: { name: 'mse', delta: 1 },
  optimizer: resolveOptimizer(
    { name: 'sgd', lr: 0.01, beta1: 0.9, beta2: 0.999, eps: null, momentum: 0 },
    'framework',
  ),
  epochs: 3,
  batchSize: 2,
  data: { n: 3, inputs: 1, outputs: 1, x: X, y: Float32Array.of(2, 4, 6) },
  initialWeights: MODEL.weights,
  order: null,
  seed: 0,
  ...over,
})

/** Whether a process with this id exists (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Event-loop handles that belong to child processes (held ones only). */
const childHandles = () =>
  process.getActiveResourcesInfo().filter((r) => r === 'ProcessWrap' || r === 'PipeWrap')

describe('pytorch backend: engines and a missing interpreter', () => {
  const saved = process.env.DUALFIT_PYTHON
  afterEach(() => {
    if (saved === undefined) delete process.env.DUALFIT_PYTHON
    else process.env.DUALFIT_PYTHON = saved
  })

  it('names itself and lists cpu then cuda', () => {
    const backend = createBackend()
    expect(backend.id).toBe('pytorch')
    expect(backend.version).toMatch(/^@dualfit\/pytorch@\d+\.\d+\.\d+/)
    expect(backend.engines.map((e) => [e.id, e.device])).toEqual([
      ['cpu', 'cpu'],
      ['cuda', 'gpu'],
    ])
    for (const e of backend.engines) expect(e.detail).toMatch(/PyTorch/)
    expect(backend.saveFormats).toEqual(['pt'])
  })

  it('says why no engine runs when DUALFIT_PYTHON names no interpreter', async () => {
    process.env.DUALFIT_PYTHON = '/nonexistent'
    const backend = createBackend()
    expect(backend.python).toBe('/nonexistent')
    const reasons = await Promise.all(backend.engines.map((e) => e.probe()))
    expect(reasons).toEqual([
      'no python at /nonexistent (set DUALFIT_PYTHON)',
      'no python at /nonexistent (set DUALFIT_PYTHON)',
    ])
    const err = await rejection(backend.predict(MODEL, X, 'cpu'))
    expect(err.message).toBe('pytorch: no python at /nonexistent (set DUALFIT_PYTHON)')
    expect(backend.pid).toBeUndefined()
    await backend.dispose()
  })
})

describe.skipIf(reason)(titled('pytorch backend: the python process', reason), () => {
  it('probes cpu without starting the long-lived process; cuda has an answer', async () => {
    const backend = createBackend()
    const [cpu, cuda] = await Promise.all(backend.engines.map((e) => e.probe()))
    expect(cpu).toBeNull()
    expect(cuda === null || cuda === 'torch sees no CUDA device').toBe(true)
    expect(backend.pid).toBeUndefined()
  })

  it('says PyTorch is missing when the interpreter runs but cannot import torch', async () => {
    // The same python without site-packages (-S) cannot import torch.
    const dir = mkdtempSync(join(tmpdir(), 'dualfit-pytorch-'))
    try {
      const python = join(dir, 'python-without-torch')
      writeFileSync(python, `#!/bin/sh\nexec ${PYTHON} -S "$@"\n`, { mode: 0o755 })
      const backend = createBackend({ python })
      const [cpu, cuda] = await Promise.all(backend.engines.map((e) => e.probe()))
      expect(cpu).toBe(`PyTorch is not installed for ${python} (apt-get install python3-torch)`)
      expect(cuda).toBe(cpu)
      const err = await rejection(backend.predict(MODEL, X, 'cpu'))
      expect(err.message).toBe(
        `pytorch: PyTorch is not installed for ${python} (apt-get install python3-torch)`,
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('starts one process lazily, reuses it, and dispose ends it and holds nothing', async () => {
    const baseline = childHandles().length
    const backend: PyTorchBackend = createBackend()
    expect(backend.pid).toBeUndefined()
    await backend.predict(MODEL, X, 'cpu')
    const pid = backend.pid as number
    expect(alive(pid)).toBe(true)
    await backend.train(job(), { onEpochEnd: async () => 'continue' })
    expect(backend.pid).toBe(pid)
    // Idle: the child does not keep Node's event loop alive.
    expect(childHandles().length).toBeLessThanOrEqual(baseline)
    await backend.dispose()
    expect(backend.pid).toBeUndefined()
    expect(alive(pid)).toBe(false)
    expect(childHandles().length).toBeLessThanOrEqual(baseline)
    await backend.dispose() // twice is fine
    // Used again, it starts a fresh process.
    await backend.predict(MODEL, X, 'cpu')
    expect(backend.pid).not.toBe(pid)
    await backend.dispose()
  })

  it('disposing one instance leaves another running', async () => {
    const a = createBackend()
    const b = createBackend()
    await Promise.all([a.predict(MODEL, X, 'cpu'), b.predict(MODEL, X, 'cpu')])
    await a.dispose()
    expect(alive(b.pid as number)).toBe(true)
    expect(await b.predict(MODEL, X, 'cpu')).toHaveLength(3)
    await b.dispose()
  })

  it('a dead process rejects every pending request with its stderr; the next request starts anew', async () => {
    const backend = createBackend()
    await backend.predict(MODEL, X, 'cpu')
    const pid = backend.pid as number
    const training = backend.train(job({ epochs: 50 }), {
      onEpochEnd: async (epoch) => {
        if (epoch === 1) process.kill(pid, 'SIGKILL')
        return 'continue'
      },
    })
    const queued = backend.predict(MODEL, X, 'cpu')
    const [a, b] = await Promise.all([rejection(training), rejection(queued)])
    expect(a.message).toMatch(/^pytorch: the python process \(.*\) was killed by SIGKILL/)
    expect(b.message).toBe(a.message)
    expect(await backend.predict(MODEL, X, 'cpu')).toHaveLength(3)
    expect(backend.pid).not.toBe(pid)
    await backend.dispose()
  })

  it('dispose during training rejects it and ends the process', async () => {
    const backend = createBackend()
    let disposing: Promise<void> | undefined
    const training = backend.train(job({ epochs: 50 }), {
      onEpochEnd: async (epoch) => {
        if (epoch === 2) disposing = backend.dispose()
        return 'continue'
      },
    })
    const err = await rejection(training)
    await disposing
    expect(err.message).toBe('pytorch: the backend was disposed')
    expect(backend.pid).toBeUndefined()
  })

  it('an abort while python sends the weights rejects with its reason; the next request starts anew', async () => {
    const backend = createBackend()
    const ac = new AbortController()
    const reason = new Error('interrupted')
    const epochs: number[] = []
    let asked: Promise<unknown> | undefined
    let pid: number | undefined
    const training = backend.train(job({ epochs: 50 }), {
      signal: ac.signal,
      onEpochEnd: async (epoch, _logs, weights) => {
        epochs.push(epoch)
        pid = backend.pid
        if (epoch === 1) {
          // The question is on its way to python when the abort comes.
          asked = weights()
          ac.abort(reason)
          await asked
        }
        return 'continue'
      },
    })
    expect(await rejection(training)).toBe(reason)
    expect(asked).toBeDefined()
    expect(epochs).toEqual([0, 1])
    expect(alive(pid as number)).toBe(false)
    expect((await backend.train(job(), { onEpochEnd: async () => 'continue' })).steps).toBe(6)
    expect(backend.pid).not.toBe(pid)
    await backend.dispose()
  })

  it('dispose while python sends the weights rejects the training and ends the process', async () => {
    const backend = createBackend()
    let disposing: Promise<void> | undefined
    const training = backend.train(job({ epochs: 50 }), {
      onEpochEnd: async (epoch, _logs, weights) => {
        if (epoch === 1) {
          const asked = weights()
          disposing = backend.dispose()
          await asked
        }
        return 'continue'
      },
    })
    const err = await rejection(training)
    await disposing
    expect(err.message).toBe('pytorch: the backend was disposed')
    expect(backend.pid).toBeUndefined()
  })
})
