/**
 * "A user's files are sacred": no output of dualfit deletes, overwrites or moves a file it did not
 * write. Each case hashes the user's files before and after. Runs the built CLI (`pnpm build` first).
 */
import { createHash } from 'node:crypto'
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dualfit, fixture, type Run, tempDir } from './cli.js'

const MINI = ['compare', '--spec', fixture('mini.json'), '--set', 'epochs=3', '--quiet']

/** Every file under `dir` (recursively) with its sha256. */
function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of readdirSync(dir, { recursive: true }).map(String)) {
    const path = join(dir, name)
    if (lstatSync(path).isFile()) out[name] = createHash('sha256').update(readFileSync(path)).digest('hex')
  }
  return out
}

/** A folder holding a user's own files; returns it and their hashes. */
function seeded(): { dir: string; before: Record<string, string> } {
  const dir = join(tempDir(), 'out')
  mkdirSync(join(dir, 'mydata'), { recursive: true })
  writeFileSync(join(dir, 'notes.txt'), 'my notes\n')
  writeFileSync(join(dir, 'mydata', 'a.csv'), 'x,y\n1,2\n')
  return { dir, before: hashes(dir) }
}

/** The user's files are all still there, byte for byte. */
function expectKept(dir: string, before: Record<string, string>): void {
  const after = hashes(dir)
  for (const [name, hash] of Object.entries(before)) expect(after[name], name).toBe(hash)
}

function expectRefused(r: Run, message: string): void {
  expect(r.stderr).toContain(message)
  expect(r.stderr.trim().split('\n')).toHaveLength(1)
  expect(r.stderr).not.toContain('internal error')
  expect(r.code).toBe(2)
}

describe('compare --out writes beside the files already there', () => {
  it('keeps foreign files, and refuses a results.json it did not write (an older dualfit or the user)', () => {
    const { dir, before } = seeded()
    writeFileSync(join(dir, 'results.json'), '{}')
    const refused = dualfit([...MINI, '--out', dir])
    expectRefused(refused, `'${join(dir, 'results.json')}' was not written by dualfit`)
    expect(refused.stderr).not.toContain('plan:')
    expectKept(dir, { ...before, 'results.json': hashes(dir)['results.json'] as string })
    expect(readFileSync(join(dir, 'results.json'), 'utf8')).toBe('{}')
  })

  it('runs, reruns and replaces only its own set; the user files stay', () => {
    const { dir, before } = seeded()
    expect(dualfit([...MINI, '--out', dir]).code).toBe(0)
    expectKept(dir, before)
    expect(existsSync(join(dir, 'results.json'))).toBe(true)
    expect(existsSync(join(dir, '.dualfit-manifest.json'))).toBe(true)
    const rerun = dualfit([...MINI, '--out', dir])
    expect(rerun.stderr).toBe('')
    expect(rerun.code).toBe(0)
    expectKept(dir, before)
  }, 120_000)

  it('refuses to replace a result file the user has edited, naming it, before any work', () => {
    const { dir } = seeded()
    expect(dualfit([...MINI, '--out', dir]).code).toBe(0)
    writeFileSync(join(dir, 'results.md'), 'my annotations\n')
    const before = hashes(dir)
    const r = dualfit([...MINI, '--out', dir])
    expectRefused(r, `'${join(dir, 'results.md')}' was changed after dualfit wrote it`)
    expect(hashes(dir)).toEqual(before)
  }, 120_000)

  it('keeps the input data file when --out is its folder', () => {
    const dir = join(tempDir(), 'data')
    mkdirSync(dir)
    const rows = Array.from({ length: 12 }, (_, i) => `${i},${2 * i}`).join('\n')
    writeFileSync(join(dir, 'good.csv'), `x,y\n${rows}\n`)
    const before = hashes(dir)
    for (let i = 0; i < 2; i++) {
      const r = dualfit([
        'compare',
        '--data',
        join(dir, 'good.csv'),
        '--x',
        'x',
        '--y',
        'y',
        '--set',
        'epochs=3',
        '--quiet',
        '--out',
        dir,
      ])
      expect(r.code).toBe(0)
      expectKept(dir, before)
    }
  }, 120_000)

  it('follows a symlinked --out into its target and leaves the link a link', () => {
    const { dir, before } = seeded()
    const link = join(tempDir(), 'link')
    symlinkSync(dir, link)
    expect(dualfit([...MINI, '--out', link]).code).toBe(0)
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(existsSync(join(dir, 'results.json'))).toBe(true)
    expectKept(dir, before)
  }, 120_000)

  it('removes the temp files of dead runs, beside and inside --out', () => {
    const { dir, before } = seeded()
    // PID 2^31-1 is above any pid_max: that writer is dead.
    const dead = 2147483647
    const old = join(dir, '..', `.out.tmp-${dead}`)
    mkdirSync(join(old, 'charts'), { recursive: true })
    writeFileSync(join(old, 'results.json'), '{}')
    const inside = join(dir, `.results.json.dualfit-${dead}-0123abcd.tmp`)
    writeFileSync(inside, '{')
    expect(dualfit([...MINI, '--out', dir]).code).toBe(0)
    expect(existsSync(old)).toBe(false)
    expect(existsSync(inside)).toBe(false)
    expectKept(dir, before)
  }, 120_000)
})

describe('single files: train --save', () => {
  it('train --save refuses an existing file before training; --force overwrites it', () => {
    const cwd = tempDir()
    writeFileSync(join(cwd, 'data.csv'), 'x,y\n1,2\n')
    const before = hashes(cwd)
    const r = dualfit(['train', '--spec', fixture('mini.json'), '--save', 'data.csv'], cwd)
    expectRefused(r, "--save 'data.csv': a file is already there; pass --force to overwrite it")
    expect(hashes(cwd)).toEqual(before)
    const forced = dualfit(['train', '--spec', fixture('mini.json'), '--save', 'data.csv', '--force'], cwd)
    expect(forced.code).toBe(0)
    expect(readFileSync(join(cwd, 'data.csv'), 'utf8')).not.toContain('x,y')
  })

  it("train --save refuses a diverged model's weights, as export does", () => {
    const cwd = tempDir()
    const r = dualfit(
      ['train', '--spec', fixture('mini.json'), '--set', 'optimizer.lr=1e37', '--save', 'm.onnx'],
      cwd,
    )
    expect(r.stderr).toContain("--save 'm.onnx': mini diverged: its weights hold NaN or Infinity")
    expect(r.code).toBe(2)
    expect(readdirSync(cwd)).toEqual([])
  })
})

describe('paths that cannot be written end in one line', () => {
  it('refuses /proc, a read-only folder and an empty --out at once', () => {
    const started = Date.now()
    expectRefused(dualfit([...MINI, '--out', '/proc/self/x']), "--out '/proc/self/x': cannot write in")
    expect(Date.now() - started).toBeLessThan(30_000)
    // sysfs takes no new file, even from root.
    if (existsSync('/sys/kernel')) {
      expectRefused(dualfit([...MINI, '--out', '/sys/kernel']), "--out '/sys/kernel': cannot write in")
    }
    expectRefused(dualfit([...MINI, '--out', '']), "--out: expected a path, got ''")
    expectRefused(
      dualfit(['train', '--spec', fixture('mini.json'), '--save', '']),
      "--save: expected a path, got ''",
    )
  })

  it('refuses --resume and --shard without --out instead of ignoring them', () => {
    expectRefused(
      dualfit([...MINI, '--resume']),
      '--resume: name the folder of the run to continue with --out',
    )
    expectRefused(
      dualfit([...MINI, '--shard', '0/2']),
      "--shard: name a folder for the shard's journal with --out",
    )
  })
})
