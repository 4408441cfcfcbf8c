import { describe, expect, it } from 'vitest'
import { type Backend, type Engine, listEngines, resolveEngine } from '../src/index.js'

function backend(engines: Engine[]): Backend {
  return {
    id: 'fake',
    version: 'fake@0',
    engines,
    train: async () => ({ weights: [], steps: 0, setupMs: 0 }),
    settings: () => {
      throw new Error('not used by engine resolution')
    },
    predict: async () => new Float32Array(),
    dispose: async () => {},
  }
}

function engine(id: string, device: Engine['device'], why: string | null | Error, calls: string[]): Engine {
  return {
    id,
    device,
    detail: `${id} engine`,
    probe: async () => {
      calls.push(id)
      if (why instanceof Error) throw why
      return why
    },
  }
}

describe('engine resolution', () => {
  it('lists every engine with its probe outcome; the first available one is the default', async () => {
    const calls: string[] = []
    const b = backend([
      engine('gpu', 'gpu', 'no adapter', calls),
      engine('cpu', 'cpu', null, calls),
      engine('wasm', 'wasm', null, calls),
    ])
    expect(await listEngines(b)).toEqual([
      { id: 'gpu', device: 'gpu', available: false, detail: 'no adapter' },
      { id: 'cpu', device: 'cpu', available: true, detail: 'cpu engine', default: true },
      { id: 'wasm', device: 'wasm', available: true, detail: 'wasm engine' },
    ])
    await listEngines(b)
    await resolveEngine(b, { engine: 'wasm' })
    // Probed once per backend instance, however often asked.
    expect(calls).toEqual(['gpu', 'cpu', 'wasm'])
  })

  it('probes lazily in order of preference and stops at the first that runs', async () => {
    const calls: string[] = []
    const b = backend([engine('cpu', 'cpu', null, calls), engine('wasm', 'wasm', null, calls)])
    expect((await resolveEngine(b)).id).toBe('cpu')
    expect(calls).toEqual(['cpu'])
    expect((await resolveEngine(b, { device: 'wasm' })).id).toBe('wasm')
  })

  it('collects every reason when nothing runs, and treats a throwing probe as unavailable', async () => {
    const calls: string[] = []
    const b = backend([
      engine('webgpu', 'gpu', 'no Vulkan loader', calls),
      engine('cuda', 'gpu', new Error('libcudart.so not found'), calls),
      engine('cpu', 'cpu', null, calls),
    ])
    await expect(resolveEngine(b, { device: 'gpu' })).rejects.toThrow(
      '--device gpu: fake has no available engine (webgpu: no Vulkan loader; cuda: libcudart.so not found)',
    )
    await expect(resolveEngine(b, { engine: 'cuda' })).rejects.toThrow(
      "engine 'cuda' of fake is not available: libcudart.so not found",
    )
    await expect(resolveEngine(b, { engine: 'tpu' })).rejects.toThrow(
      "engine 'tpu': fake offers webgpu, cuda, cpu",
    )
  })

  it("takes the backend's choice for a workload when it runs here, with its reason; else falls back", async () => {
    const calls: string[] = []
    const b: Backend = {
      ...backend([
        engine('cpu', 'cpu', null, calls),
        engine('wasm', 'wasm', null, calls),
        engine('gpu', 'gpu', 'none', calls),
      ]),
      chooseEngine: (w) =>
        w.batchSize > 100 ? { engine: 'wasm', why: 'big' } : { engine: 'gpu', why: 'tiny' },
    }
    const work = (batchSize: number) => ({
      batchSize,
      inputs: 1,
      layers: [{ units: 1, activation: 'linear' as const }],
    })
    expect(await resolveEngine(b, { workload: work(1000) })).toMatchObject({ id: 'wasm', chosen: 'big' })
    // The choice is unavailable: the preference order decides, without a reason of the backend's.
    const fallback = await resolveEngine(b, { workload: work(1) })
    expect(fallback.id).toBe('cpu')
    expect(fallback.chosen).toBeUndefined()
    // A named engine or a device wins over the choice.
    expect((await resolveEngine(b, { engine: 'cpu', workload: work(1000) })).id).toBe('cpu')
    expect((await resolveEngine(b, { device: 'cpu', workload: work(1000) })).id).toBe('cpu')
  })
})
