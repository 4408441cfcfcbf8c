import { readFileSync } from 'node:fs'
import {
  type Backend,
  loadBackend,
  parity,
  prepareExperiment,
  runExperiment,
  type TrainJob,
} from '@dualfit/core'
import { afterAll, describe, expect, it } from 'vitest'
import { dualfit, fixture } from './cli.js'

const seedTorch = new URL('../experiments/seed-torch.json', import.meta.url).pathname

describe('dualfit parity', () => {
  it("passes on the seed's PyTorch protocol: keras-style and torch-style train the same", () => {
    const r = dualfit(['parity', '--spec', seedTorch])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^seed-torch: keras-style vs torch-style: parity ✓ within 1e-4$/m)
    expect(r.stdout).toMatch(
      /loss curves +largest relative difference \S+ at epoch \d+ of \S+ \(float32 floor/,
    )
    expect(r.stdout).toContain('same selection (lr 0.1) and early-stopping epochs')
  })

  it('exits 1 beyond the tolerance, saying where the curves part and why', () => {
    const r = dualfit([
      'parity',
      '--spec',
      seedTorch,
      '--tolerance',
      '1e-9',
      '--no-calibrate',
      '--format',
      'json',
    ])
    expect(r.code).toBe(1)
    const out = JSON.parse(r.stdout) as {
      ok: boolean
      reports: { ok: boolean; curves: { part: unknown }; cause: string }[]
    }
    expect(out.ok).toBe(false)
    expect(out.reports[0]?.curves.part).toMatchObject({
      trial: expect.any(String),
      epoch: expect.any(Number),
    })
    expect(out.reports[0]?.cause).toMatch(/^no setting differs: the engines' own arithmetic/)
  })

  it('refuses anything but two backends, and a tolerance that is not a positive number', () => {
    const one = dualfit(['parity', '--spec', fixture('mini.json'), '--backends', 'torch-style'])
    expect(one.code).toBe(2)
    expect(one.stderr).toBe('dualfit: --backends: expected two backends to compare, got 1 (torch-style)\n')
    const bad = dualfit(['parity', '--spec', fixture('mini.json'), '--tolerance', '-1'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toBe('dualfit: --tolerance: expected a positive number, got -1\n')
  })
})

describe('parity names the setting that differs', async () => {
  const torch = await loadBackend('torch-style')
  /** torch-style with Adam's epsilon flipped to 1e-2, and saying so in its settings. */
  const flip = (job: TrainJob): TrainJob => ({ ...job, optimizer: { ...job.optimizer, eps: 1e-2 } })
  const flipped: Backend = {
    ...torch,
    id: 'torch-style-eps',
    engines: torch.engines,
    train: (job, hooks) => torch.train(flip(job), hooks),
    settings: (job) => torch.settings(flip(job)),
    predict: (m, x, e) => torch.predict(m, x, e),
    dispose: async () => {},
  }
  afterAll(() => torch.dispose())

  it("fails when one side's Adam epsilon differs and names epsilon as the likely cause", async () => {
    const exp = await prepareExperiment(JSON.parse(readFileSync(fixture('mini.json'), 'utf8')), 'mini')
    const a = await runExperiment(exp, torch, 'cpu')
    const b = await runExperiment(exp, flipped, 'cpu')
    const p = parity(a, b)
    expect(p.ok).toBe(false)
    expect(p.curves.max).toBeGreaterThan(1e-4)
    expect(p.differences).toEqual(['Adam epsilon: 1e-7 (torch-style) vs 0.01 (torch-style-eps)'])
    expect(p.cause).toBe('Adam epsilon: 1e-7 (torch-style) vs 0.01 (torch-style-eps)')
    // The same backend against itself: identical.
    expect(parity(a, await runExperiment(exp, torch, 'cpu')).ok).toBe(true)
  })
})
