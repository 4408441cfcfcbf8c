import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { tempDir } from './cli.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BENCH = join(ROOT, 'benchmarks/dist/run.js')

interface Manifest {
  name: string
  private?: boolean
  files?: string[]
  dependencies?: Record<string, string>
}

/** Every package of the workspace (pnpm-workspace.yaml: packages/*, test, benchmarks, experiments). */
function manifests(): Manifest[] {
  const dirs = [
    ...readdirSync(join(ROOT, 'packages')).map((d) => join('packages', d)),
    'test',
    'benchmarks',
    'experiments',
  ]
  return dirs
    .map((d) => join(ROOT, d, 'package.json'))
    .filter((p) => existsSync(p))
    .map((p) => JSON.parse(readFileSync(p, 'utf8')) as Manifest)
}

describe('package boundaries', () => {
  it('a published package depends on no private one, and says which files it ships', () => {
    const all = manifests()
    const byName = new Map(all.map((m) => [m.name, m]))
    const published = all.filter((m) => !m.private)
    expect(published.map((m) => m.name)).toEqual(expect.arrayContaining(['dualfit', '@dualfit/experiments']))
    const problems: string[] = []
    for (const m of published) {
      if (!m.files?.length) problems.push(`${m.name}: no "files"`)
      for (const dep of Object.keys(m.dependencies ?? {})) {
        if (byName.get(dep)?.private) problems.push(`${m.name} -> ${dep} (private)`)
      }
    }
    expect(problems).toEqual([])
  })
})

describe('pnpm bench', () => {
  it('refuses an existing --out file before the run, in one line', () => {
    const cwd = tempDir()
    writeFileSync(join(cwd, 'mine.json'), '{"mine":1}')
    const r = spawnSync(process.execPath, [BENCH, '--suite', 'startup', '--quick', '--out', 'mine.json'], {
      cwd,
      encoding: 'utf8',
    })
    expect(r.stderr).toBe(
      "pnpm bench: --out 'mine.json': a file is already there; pass --force to overwrite it\n",
    )
    expect(r.stdout).toBe('')
    expect(r.status).toBe(2)
    expect(readFileSync(join(cwd, 'mine.json'), 'utf8')).toBe('{"mine":1}')
  })

  it('prints its help under its own name', () => {
    const r = spawnSync(process.execPath, [BENCH, '--help'], { encoding: 'utf8' })
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^pnpm bench \[options\]/)
    expect(r.stdout).toContain('--suite')
    expect(r.stderr).toBe('')
  })
})
