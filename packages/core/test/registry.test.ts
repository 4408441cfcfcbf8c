import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { loadBackend } from '../src/index.js'

const made: string[] = []
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true })
})

/** Lays out node_modules/<name> in a temp project and returns a base to resolve from. */
function project(packages: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'dualfit-registry-'))
  made.push(root)
  for (const [name, source] of Object.entries(packages)) {
    const dir = join(root, 'node_modules', name)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, type: 'module', exports: './index.js' }))
    writeFileSync(join(dir, 'index.js'), source)
  }
  writeFileSync(join(root, 'package.json'), '{}')
  return join(root, 'package.json')
}

const methods = 'engines: [], train() {}, settings() {}, predict() {}, dispose() {}'

describe('backend registry', () => {
  it('loads a backend package by name from the given base', async () => {
    const base = project({
      'dualfit-backend-echo': `export function createBackend() { return { id: 'echo', version: '1', ${methods} } }`,
    })
    const b = await loadBackend('dualfit-backend-echo', [base])
    expect(b.id).toBe('echo')
  })

  it('explains what is wrong, in one line', async () => {
    const base = project({
      'no-factory': 'export const x = 1',
      'half-backend': `export const createBackend = async () => ({ id: 'half', engines() {} })`,
    })
    await expect(loadBackend('nope', [base])).rejects.toThrow(
      "backend 'nope': no installed package 'nope' or '@dualfit/nope' or 'dualfit-backend-nope' (built-in: keras-style, torch-style)",
    )
    await expect(loadBackend('no-factory', [base])).rejects.toThrow(
      "backend 'no-factory': package 'no-factory' does not export createBackend()",
    )
    await expect(loadBackend('half-backend', [base])).rejects.toThrow(
      "backend 'half-backend': package 'half-backend' is not a dualfit Backend: missing or wrong version, engines, train, settings, predict, dispose (see docs/writing-a-backend.md)",
    )
  })

  it('refuses a backend that lacks one required member, naming it, and disposes what it made', async () => {
    const base = project({
      'no-settings': `export let disposed = false
export function createBackend() { return { id: 'x', version: '1', engines: [], train() {}, predict() {}, dispose() { disposed = true } } }`,
    })
    await expect(loadBackend('no-settings', [base])).rejects.toThrow(
      "backend 'no-settings': package 'no-settings' is not a dualfit Backend: missing or wrong settings (see docs/writing-a-backend.md)",
    )
    const mod = await import(pathToFileURL(join(base, '..', 'node_modules', 'no-settings', 'index.js')).href)
    expect(mod.disposed).toBe(true)
  })

  it('resolves a short name to the package, @dualfit/<name> or dualfit-backend-<name>', async () => {
    const backend = (id: string) =>
      `export function createBackend() { return { id: '${id}', version: '0', ${methods} } }`
    const base = project({
      '@dualfit/keras-style': backend('scoped'),
      'dualfit-backend-echo': backend('prefixed'),
      echo: backend('bare'),
    })
    expect((await loadBackend('keras-style', [base])).id).toBe('scoped')
    expect((await loadBackend('echo', [base])).id).toBe('bare')
    const prefixedOnly = project({ 'dualfit-backend-echo': backend('prefixed') })
    expect((await loadBackend('echo', [prefixedOnly])).id).toBe('prefixed')
  })
})
