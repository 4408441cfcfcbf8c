/** Rows from a software GPU adapter (SwiftShader): marked, named, never judged against targets. */
import { describe, expect, it } from 'vitest'
import { withRatio } from '../src/ratio.js'
import { footerLine, type PytorchInfo } from '../src/schema.js'
import { evaluateTargets, OVERHEAD_LIMIT, type TargetDef } from '../src/targets.js'
import type { BenchRow } from '../src/types.js'

const def: TargetDef = {
  id: 'scaling/1e6-full-mlp/torch-style',
  suite: 'scaling',
  key: 'scaling/1e6-full-mlp',
  backend: 'torch-style',
  on: 'overhead',
  op: '<=',
  limit: OVERHEAD_LIMIT,
  label: 'scaling: MLP, torch-style over its bare loop',
}

const row = (over: Partial<BenchRow>): BenchRow =>
  withRatio({
    suite: 'scaling',
    key: 'scaling/1e6-full-mlp',
    case: 'N=1e6, full batch, MLP',
    backend: 'torch-style',
    engine: 'webgpu',
    default: true,
    unit: 'ms/epoch',
    value: 900,
    bare: 100,
    pytorch: 50,
    ...over,
  })

describe('software adapter rows', () => {
  it('are never judged: SKIP with the adapter named, even where the figure would fail', () => {
    const [t] = evaluateTargets([def], [row({ software: 'SwiftShader' })], ['scaling'])
    expect(t).toMatchObject({
      status: 'SKIP',
      why: 'torch-style ran on SwiftShader, a software adapter: not judged',
    })
  })

  it('leave the judging to a hardware engine of the same backend where one ran', () => {
    const rows = [row({ software: 'SwiftShader' }), row({ engine: 'cuda', default: false, value: 100 })]
    expect(evaluateTargets([def], rows, ['scaling'])[0]).toMatchObject({ status: 'PASS', engine: 'cuda' })
  })
})

describe("PyTorch's device in the footer", () => {
  const env = (pytorch: PytorchInfo) => ({
    date: '2026-12-06T10:00:00Z',
    options: {
      suites: ['step' as const],
      quick: true,
      check: false,
      device: 'gpu' as const,
      format: 'table' as const,
    },
    environment: {
      node: 'v20',
      platform: 'linux',
      arch: 'x64',
      cpu: 'cpu',
      cores: 2,
      memoryGB: 8,
      pytorch,
      packages: {},
    },
  })
  const base = { python: 'python3', available: true, torch: '2.5', pythonVersion: '3.11', threads: 1 }

  it('names the CUDA device, or says why PyTorch ran on the CPU', () => {
    expect(footerLine(env({ ...base, cuda: true, device: 'NVIDIA H200' }))).toContain(
      ', on CUDA: NVIDIA H200)',
    )
    expect(
      footerLine(env({ ...base, cuda: true, device: 'cpu', deviceWhy: 'torch sees no CUDA device' })),
    ).toContain(', on the CPU: torch sees no CUDA device)')
    expect(footerLine(env(base))).not.toMatch(/CUDA|on the CPU/)
  })
})
