import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const BIN = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url))
export const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
const made: string[] = []
/** A scratch folder, removed after the test file (see setup.ts). */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dualfit-e2e-'))
  made.push(dir)
  return dir
}
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
}

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** The CLI as a user runs it: a subprocess, in a scratch folder. */
export function dualfit(args: string[], cwd = tempDir(), env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/**
 * Starts the CLI in `cwd`, sends `signal` once `ready()` holds (polled every 20 ms), and resolves
 * with the run and the time the signal went (0 if it never did).
 */
export function signalWhen(
  args: string[],
  cwd: string,
  ready: () => boolean,
  signal: NodeJS.Signals = 'SIGINT',
): Promise<Run & { sentAt: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    let sentAt = 0
    const poll = setInterval(() => {
      if (ready()) {
        clearInterval(poll)
        sentAt = Date.now()
        child.kill(signal)
      }
    }, 20)
    child.on('close', (code) => {
      clearInterval(poll)
      resolve({ code, stdout, stderr, sentAt })
    })
  })
}

/** Starts the CLI and sends SIGINT once it has run for `afterMs`. */
export function interrupt(args: string[], afterMs: number, cwd = tempDir()): Promise<Run> {
  const start = Date.now()
  return signalWhen(args, cwd, () => Date.now() - start >= afterMs)
}

/** `timeout -s INT 5 dualfit ...`: a former hang or runaway allocation must answer before the SIGINT. */
export function within5s(args: string[], cwd = tempDir()): Run & { ms: number } {
  const start = Date.now()
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 5000,
    killSignal: 'SIGINT',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - start }
}
