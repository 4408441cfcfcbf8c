/** What the interpreter offers, found by a short child process (not the long-lived one). */
import { execFile } from 'node:child_process'

export interface TorchInfo {
  /** null when python runs and imports torch; otherwise why not, in one line. */
  error: string | null
  torch?: string
  python?: string
  cuda?: boolean
  /** The first CUDA device's name, when there is one. */
  device?: string
}

export const PROBE_TIMEOUT_MS = 30_000

const lastLine = (s: string) =>
  s
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .pop() ?? ''

/** Runs `python script --probe` and reads its one JSON line; never rejects. */
export function probeTorch(python: string, script: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<TorchInfo> {
  return new Promise((resolve) => {
    execFile(
      python,
      [script, '--probe'],
      {
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        windowsHide: true,
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      },
      (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { killed?: boolean }
          if (e.code === 'ENOENT') return resolve({ error: `no python at ${python} (set DUALFIT_PYTHON)` })
          if (e.code === 'EACCES')
            return resolve({ error: `cannot run ${python}: permission denied (set DUALFIT_PYTHON)` })
          if (e.killed)
            return resolve({ error: `${python} did not import torch within ${timeoutMs / 1000} s` })
          if (/No module named '?torch'?/.test(stderr))
            return resolve({
              error: `PyTorch is not installed for ${python} (apt-get install python3-torch)`,
            })
          return resolve({ error: `${python} failed: ${lastLine(stderr) || e.message}` })
        }
        try {
          const info = JSON.parse(lastLine(stdout)) as Omit<TorchInfo, 'error'>
          resolve({ error: null, ...info })
        } catch {
          resolve({
            error: `${python} answered the probe with ${JSON.stringify(lastLine(stdout).slice(0, 100))}`,
          })
        }
      },
    )
  })
}
