import type { Backend, EngineInfo } from '@dualfit/core'
import { describe, expect, it } from 'vitest'
import { parseBackendList, pickEngine } from '../src/backends.js'
import { parseSet } from '../src/spec.js'

function fake(engines: EngineInfo[]): Backend {
  return { id: 'fake', engines: async () => engines } as unknown as Backend
}

const ENGINES: EngineInfo[] = [
  { id: 'js', device: 'cpu', available: true, detail: 'plain JS' },
  { id: 'native', device: 'cpu', available: true, detail: 'native', default: true },
  { id: 'simd', device: 'wasm', available: true, detail: 'wasm' },
  { id: 'cuda', device: 'gpu', available: false, detail: 'no NVIDIA driver' },
]

describe('backend choice', () => {
  it('defaults to the two built-in styles and accepts comma lists and name:engine', () => {
    expect(parseBackendList(undefined)).toEqual([{ name: 'keras-style' }, { name: 'torch-style' }])
    expect(parseBackendList(['torch-style:cpu,torch-style:wasm', 'my-pkg'])).toEqual([
      { name: 'torch-style', engine: 'cpu' },
      { name: 'torch-style', engine: 'wasm' },
      { name: 'my-pkg' },
    ])
  })

  it('picks the default engine, the preferred one per device, or says why none fits', async () => {
    const b = fake(ENGINES)
    expect((await pickEngine(b)).id).toBe('native')
    expect((await pickEngine(b, 'wasm')).id).toBe('simd')
    expect((await pickEngine(b, undefined, 'js')).id).toBe('js')
    await expect(pickEngine(b, 'gpu')).rejects.toThrow(
      '--device gpu: fake has no available engine (cuda: no NVIDIA driver)',
    )
    await expect(pickEngine(b, undefined, 'cuda')).rejects.toThrow(
      "engine 'cuda' of fake is not available: no NVIDIA driver",
    )
    await expect(pickEngine(b, undefined, 'tpu')).rejects.toThrow(
      "engine 'tpu': fake offers js, native, simd, cuda",
    )
  })
})

describe('--set', () => {
  it('parses JSON values and keeps bare strings', () => {
    expect(parseSet('optimizer.lr=0.1')).toEqual(['optimizer.lr', 0.1])
    expect(parseSet('grid={"epochs":[5,10]}')).toEqual(['grid', { epochs: [5, 10] }])
    expect(parseSet('loss=huber')).toEqual(['loss', 'huber'])
    expect(() => parseSet('epochs')).toThrow("--set 'epochs': expected key=value")
  })
})
