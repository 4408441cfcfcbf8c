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

/** Starts the CLI and sends SIGINT once it has run for `afterMs`. */
export function interrupt(args: string[], afterMs: number, cwd = tempDir()): Promise<Run> {
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
    const timer = setTimeout(() => child.kill('SIGINT'), afterMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
