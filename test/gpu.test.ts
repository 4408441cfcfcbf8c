/**
 * The GPU path run for real on SwiftShader, the software Vulkan driver Debian's chromium ships
 * (docs/backends.md): both styles' webgpu engines, parity against their cpu engines, the bench.
 * Tiny workloads only: SwiftShader is correct, not fast.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SWIFTSHADER_ICD } from '@dualfit/core'
import { describe, expect, it } from 'vitest'
import { dualfit, tempDir } from './cli.js'

const seedTorch = fileURLToPath(new URL('../experiments/seed-torch.json', import.meta.url))
const BENCH = fileURLToPath(new URL('../benchmarks/dist/run.js', import.meta.url))
const SOFTWARE = { VK_ICD_FILENAMES: SWIFTSHADER_ICD }
const NO_DRIVER = { VK_ICD_FILENAMES: '/nonexistent/icd.json' }
const skip = existsSync(SWIFTSHADER_ICD)
  ? null
  : `no software Vulkan driver (${SWIFTSHADER_ICD}, Debian's chromium)`

interface Trial {
  epochsRun: number
  history: { loss: number[] }
  weights: { kernel: number[]; bias: number[] }[]
}
interface Result {
  backend: { id: string; engine: { id: string; software?: string } }
  trials: Trial[]
}

const results = (dir: string): Result[] => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).results

/** The largest relative difference, as the testkit measures it: |a - b| / max(|b|, 1e-3). */
function gap(a: readonly number[], b: readonly number[]): number {
  expect(a).toHaveLength(b.length)
  return Math.max(
    0,
    ...a.map((x, i) => Math.abs(x - (b[i] as number)) / Math.max(Math.abs(b[i] as number), 1e-3)),
  )
}

describe.skipIf(skip)(
  skip ? `the GPU path on SwiftShader (skipped: ${skip})` : 'the GPU path on SwiftShader',
  () => {
    it('lists both webgpu engines as available, each named as running on a software adapter', () => {
      const r = dualfit(['backends', '--format', 'json'], tempDir(), SOFTWARE)
      expect(r.code, r.stderr).toBe(0)
      const list = JSON.parse(r.stdout) as {
        id: string
        engines: { id: string; available: boolean; detail: string; software?: string }[]
      }[]
      for (const id of ['keras-style', 'torch-style']) {
        const engines = list.find((b) => b.id === id)?.engines ?? []
        const webgpu = engines.find((e) => e.id === 'webgpu')
        expect(webgpu, `${id} webgpu: ${webgpu?.detail}`).toMatchObject({
          available: true,
          software: 'SwiftShader',
        })
        expect(webgpu?.detail).toMatch(/on SwiftShader, a software adapter/)
        expect(engines.find((e) => e.id === 'cpu')?.software).toBeUndefined()
      }
      const table = dualfit(['backends'], tempDir(), SOFTWARE)
      expect(table.stdout).toMatch(/software adapter/)
    })

    it('compare --device gpu: both styles on webgpu, each within 1e-4 of its cpu run, the footer names SwiftShader', () => {
      const gpu = tempDir()
      const cpu = tempDir()
      const g = dualfit(['compare', '--spec', seedTorch, '--device', 'gpu', '--out', 'out'], gpu, SOFTWARE)
      expect(g.code, g.stderr).toBe(0)
      expect(g.stdout).toMatch(/keras-style on webgpu \(SwiftShader, a software adapter: correct, not fast\)/)
      expect(g.stdout).toMatch(/torch-style on webgpu \(SwiftShader, a software adapter: correct, not fast\)/)
      const c = dualfit(['compare', '--spec', seedTorch, '--device', 'cpu', '--out', 'out', '--quiet'], cpu)
      expect(c.code, c.stderr).toBe(0)
      const [onGpu, onCpu] = [results(join(gpu, 'out')), results(join(cpu, 'out'))]
      expect(onGpu.map((r) => [r.backend.id, r.backend.engine.id, r.backend.engine.software])).toEqual([
        ['keras-style', 'webgpu', 'SwiftShader'],
        ['torch-style', 'webgpu', 'SwiftShader'],
      ])
      onGpu.forEach((r, i) => {
        const ref = onCpu[i] as Result
        expect(ref.backend.engine.id).toBe('cpu')
        expect(r.trials).toHaveLength(ref.trials.length)
        r.trials.forEach((t, j) => {
          const u = ref.trials[j] as Trial
          const where = `${r.backend.id} trial ${j}`
          expect(t.epochsRun, where).toBe(u.epochsRun)
          expect(gap(t.history.loss, u.history.loss), `${where} loss`).toBeLessThanOrEqual(1e-4)
          const flat = (w: Trial['weights']) => w.flatMap((l) => [...l.kernel, ...l.bias])
          expect(gap(flat(t.weights), flat(u.weights)), `${where} weights`).toBeLessThanOrEqual(1e-4)
        })
      })
    })

    it('compare --workers 2 refuses a gpu engine in one line, exit 2: it runs in the CLI process only', () => {
      const r = dualfit(
        ['compare', '--spec', seedTorch, '--device', 'gpu', '--workers', '2'],
        tempDir(),
        SOFTWARE,
      )
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr.split('\n').filter((l) => l.startsWith('dualfit:'))).toEqual([
        'dualfit: --workers 2: keras-style runs on its webgpu engine (gpu), which runs in this process only; use --workers 1',
      ])
    })

    it('bench --device gpu --quick (step suite): no failed row, rows marked SwiftShader and never judged', () => {
      const dir = tempDir()
      const out = join(dir, 'bench.json')
      const r = spawnBench(['--device', 'gpu', '--quick', '--suite', 'step', '--check', '--out', out])
      expect(r.status, r.stderr).toBe(0)
      const doc = JSON.parse(readFileSync(out, 'utf8')) as {
        rows: { backend: string; engine: string; error?: string; software?: string }[]
        targets: { status: string; why?: string }[]
      }
      expect(doc.rows.length).toBeGreaterThan(0)
      for (const row of doc.rows) {
        expect(row.error, `${row.backend} ${row.engine}`).toBeUndefined()
        expect(row.software).toBe('SwiftShader')
      }
      expect(new Set(doc.rows.map((x) => `${x.backend} ${x.engine}`))).toEqual(
        new Set(['keras-style webgpu', 'torch-style webgpu']),
      )
      for (const t of doc.targets.filter(
        (x) => x.status !== 'SKIP' || !/suite \w+ not run/.test(x.why ?? ''),
      ))
        expect(t).toMatchObject({
          status: 'SKIP',
          why: expect.stringMatching(/on SwiftShader, a software adapter: not judged/),
        })
      expect(r.stdout).toMatch(/webgpu \(SwiftShader\)/)
      expect(r.stdout).toMatch(/\(SwiftShader\): a software GPU adapter/)
      // No table row whose every cell is blank.
      expect(r.stdout.split('\n').filter((l) => /^│[\s│]*│$/.test(l))).toEqual([])
    }, 600_000)
  },
)

describe('the GPU path without a Vulkan driver', () => {
  it('compare --device gpu says why in one line, exit 2', () => {
    const r = dualfit(['compare', '--spec', seedTorch, '--device', 'gpu'], tempDir(), NO_DRIVER)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/--device gpu: keras-style has no available engine/)
  })
})

function spawnBench(args: string[]) {
  return spawnSync(process.execPath, [BENCH, ...args], {
    encoding: 'utf8',
    timeout: 580_000,
    env: { ...process.env, ...SOFTWARE },
  })
}
