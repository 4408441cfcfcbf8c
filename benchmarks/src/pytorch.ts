/** Real PyTorch in the same run: benchmarks/reference/pytorch_bench.py under /usr/bin/python3 or DUALFIT_PYTHON. */
import { fileURLToPath } from 'node:url'
import type { PytorchInfo } from './schema.js'
import { type Finished, lastLine, type Outcome, runProcess } from './spawn.js'

const SCRIPT = fileURLToPath(new URL('../reference/pytorch_bench.py', import.meta.url))

/** Debian's python3-torch lives under /usr/bin/python3 (the python3 first on PATH may be another one). */
export function pythonPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.DUALFIT_PYTHON?.trim() || '/usr/bin/python3'
}

/** Why a python run produced no figure, in a few words. */
export function failureReason(python: string, f: Finished): string {
  if (f.spawnError?.code === 'ENOENT') return `no python at ${python}`
  if (f.spawnError) return `${python}: ${f.spawnError.message}`
  if (/No module named ['"]?torch/.test(f.stderr)) return `no torch for ${python}`
  return `${python} failed: ${lastLine(f.stderr) || `exit ${f.code ?? f.signal}`}`
}

/** Runs one task of the reference script (on CUDA when `cuda`, where torch sees one); its last stdout line is JSON. */
export async function runPytorch<T>(
  { python, cuda }: Pick<PytorchInfo, 'python' | 'cuda'>,
  task: string,
  params: Record<string, unknown> = {},
  signal?: AbortSignal,
): Promise<Outcome<T>> {
  const env = cuda ? { ...process.env, DUALFIT_TORCH_DEVICE: 'cuda' } : process.env
  const f = await runProcess(python, [SCRIPT, task, JSON.stringify(params)], {
    env,
    ...(signal ? { signal } : {}),
  })
  if (f.code !== 0) return { ok: false, error: failureReason(python, f) }
  try {
    const lines = f.stdout.trim().split('\n')
    const value = JSON.parse(lines[lines.length - 1] ?? '') as T & { maxRssKb: number }
    return { ok: true, value, maxRssKb: value.maxRssKb, ms: f.ms }
  } catch {
    return { ok: false, error: `${python}: ${task} printed no JSON` }
  }
}

/** Whether PyTorch can run here, with its versions and device, or why not. */
export async function probePytorch(
  python = pythonPath(),
  signal?: AbortSignal,
  cuda = false,
): Promise<PytorchInfo> {
  const r = await runPytorch<{
    torch: string
    python: string
    threads: number
    device: string
    deviceWhy?: string
  }>({ python, cuda }, 'probe', {}, signal)
  if (!r.ok) return { python, available: false, why: r.error }
  return {
    python,
    available: true,
    torch: r.value.torch,
    pythonVersion: r.value.python,
    threads: r.value.threads,
    ...(cuda
      ? { cuda, device: r.value.device, ...(r.value.deviceWhy ? { deviceWhy: r.value.deviceWhy } : {}) }
      : {}),
  }
}
