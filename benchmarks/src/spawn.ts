/** Child processes of a bench run: measurement jobs, the PyTorch reference, timed fresh processes. */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type ChildOutput, type Job, type JobResult, RESULT_MARKER } from './jobs.js'

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url))

export interface Finished {
  code: number | null
  /** Signal that ended it, if any. */
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** From spawn to exit. */
  ms: number
  /** Set when the process could not start (ENOENT...). */
  spawnError?: NodeJS.ErrnoException
}

/** Runs a command to its end, collecting its output; aborting the signal kills it. */
export function runProcess(
  command: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; signal?: AbortSignal } = {},
): Promise<Finished> {
  return new Promise((resolve) => {
    if (opts.signal?.aborted) {
      // Interrupted: start nothing more.
      resolve({ code: null, signal: 'SIGTERM', stdout: '', stderr: 'interrupted', ms: 0 })
      return
    }
    const t0 = performance.now()
    const child = spawn(command, args, {
      env: opts.env ?? process.env,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let spawnError: NodeJS.ErrnoException | undefined
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    const onAbort = () => child.kill('SIGTERM')
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e
    })
    child.on('close', (code, signal) => {
      opts.signal?.removeEventListener('abort', onAbort)
      const ms = performance.now() - t0
      resolve({ code, signal, stdout, stderr, ms, ...(spawnError ? { spawnError } : {}) })
    })
  })
}

/** The last meaningful line of a failed process's stderr, short. */
export function lastLine(text: string, max = 200): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  const line = lines[lines.length - 1] ?? ''
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

export type Outcome<T> = { ok: true; value: T; maxRssKb: number; ms: number } | { ok: false; error: string }

/** One measurement job in a fresh node process (dist/child.js). */
export async function runJob<T extends JobResult>(job: Job, signal?: AbortSignal): Promise<Outcome<T>> {
  const f = await runProcess(process.execPath, [CHILD, JSON.stringify(job)], signal ? { signal } : {})
  const line = f.stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER))
  if (f.code !== 0 || !line) {
    const why = f.spawnError?.message ?? (lastLine(f.stderr) || `exit ${f.code ?? f.signal}`)
    return { ok: false, error: why }
  }
  const out = JSON.parse(line.slice(RESULT_MARKER.length)) as ChildOutput<T>
  return { ok: true, value: out.result, maxRssKb: out.maxRssKb, ms: f.ms }
}
