import { describe, expect, it } from 'vitest'
import { choice, parseBackendList } from '../src/backend-choice.js'
import { parseSet } from '../src/spec.js'

describe('backend choice', () => {
  it('defaults to the two built-in styles and accepts comma lists and name:engine', () => {
    expect(parseBackendList(undefined)).toEqual([{ name: 'keras-style' }, { name: 'torch-style' }])
    expect(parseBackendList(['torch-style:cpu,torch-style:wasm', 'my-pkg'])).toEqual([
      { name: 'torch-style', engine: 'cpu' },
      { name: 'torch-style', engine: 'wasm' },
      { name: 'my-pkg' },
    ])
  })

  it('lets a named engine win over --device, and leaves the rest to the backend', () => {
    expect(choice('wasm', 'gpu')).toEqual({ engine: 'wasm' })
    expect(choice(undefined, 'gpu')).toEqual({ device: 'gpu' })
    expect(choice(undefined, undefined)).toEqual({})
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
