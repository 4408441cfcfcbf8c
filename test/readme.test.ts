/**
 * The README's commands as a new user runs them: every `--help` example the CLI lists runs as
 * written, in a scratch folder prepared so that it makes sense (the specs, a data file, a results
 * folder, three shards, a model); and `pnpm compare` through the workspace's bin prints dualfit's
 * output and nothing else (no pnpm or turbo lines). Runs the built CLI (`pnpm build` first) and pnpm.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, readdirSync } from 'node:fs'
import { delimiter, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { dualfit, fixture, type Run, tempDir } from './cli.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The `Examples:` of a help text, one command line each (yargs wraps its first column). */
function examplesOf(help: string): string[] {
  const section = help.split('\nExamples:\n')[1]?.split('\n\n')[0]
  if (!section) return []
  const lines = section.split('\n').filter((l) => l.trim() !== '')
  // Where the descriptions start: after the first run of two spaces in the first line.
  const column = /^ {2}\S.*?\s{2,}(?=\S)/.exec(lines[0] ?? '')?.[0].length
  if (column === undefined) throw new Error(`no description column in:\n${section}`)
  const examples: string[] = []
  for (const line of lines) {
    const command = line.slice(0, column).trim()
    if (line.startsWith('  dualfit ')) examples.push(command)
    else if (command !== '') examples[examples.length - 1] += ` ${command}`
  }
  return examples
}

const commands = [...dualfit(['--help']).stdout.matchAll(/^ {2}dualfit (\w+)/gm)].map((m) => m[1] as string)
const examples = commands
  .map((c) => [c, examplesOf(dualfit([c, '--help']).stdout)] as const)
  .filter(([, list]) => list.length > 0)

/** Why an example is not run here, or null. */
function skipReason(example: string): string | null {
  if (/^dualfit (compare|parity) .*--backends \S*pytorch/.test(example))
    return 'needs PyTorch; three-backends.test.ts runs it where torch is installed'
  if (/^dualfit bench\b/.test(example)) return 'a benchmark run of minutes; benchmarks/ tests the suites'
  if (/--queue\b/.test(example)) return 'needs a Redis at that host; queue.test.ts runs both sides on its own'
  if (/--workers\b/.test(example))
    return "`dualfit compare`'s 20 s run again, on threads; cli.test.ts checks --workers"
  return null
}

/** A scratch folder with what the examples read: specs, cars.csv, out/ and results.json, three shards. */
let base: string
beforeAll(() => {
  base = tempDir()
  cpSync(join(ROOT, 'experiments'), join(base, 'experiments'), {
    recursive: true,
    filter: (from) => !from.includes('node_modules') && !from.endsWith('package.json'),
  })
  copyFileSync(fixture('cars-80.csv'), join(base, 'cars.csv'))
  const spec = ['--spec', 'experiments/seed-torch.json', '--quiet']
  expectOk(dualfit(['compare', ...spec, '--out', 'out/'], base))
  copyFileSync(join(base, 'out/results.json'), join(base, 'results.json'))
  for (const i of [0, 1, 2])
    expectOk(dualfit(['compare', ...spec, '--out', `out-${i}/`, '--shard', `${i}/3`], base))
}, 120_000)

/** What a command's examples need besides the base folder. */
const PREPARE: Record<string, (cwd: string) => void> = {
  predict: (cwd) => {
    const model = readdirSync(join(cwd, 'out/models')).find((f) => f.endsWith('.onnx'))
    copyFileSync(join(cwd, 'out/models', model ?? 'missing.onnx'), join(cwd, 'model.onnx'))
  },
}

function expectOk(r: Run): void {
  expect(r.stderr).not.toContain('internal error')
  expect(r.code, r.stderr).toBe(0)
}

it('finds the commands and their examples in --help', () => {
  expect(commands).toEqual(expect.arrayContaining(['compare', 'merge', 'report', 'export']))
  expect(examples.flatMap(([, e]) => e)).toContain('dualfit merge out-0/ out-1/ out-2/ --out all/')
})

for (const [command, list] of examples) {
  describe(`dualfit ${command} --help examples`, () => {
    // Each command's examples in a copy of the base folder, in order (train --save and export
    // --out both write model.onnx).
    let cwd: string
    beforeAll(() => {
      cwd = tempDir()
      cpSync(base, cwd, { recursive: true })
      PREPARE[command]?.(cwd)
    })
    for (const example of list) {
      const [run = '', ...rest] = example.split(' && ')
      const name = rest.length > 0 ? `${example} (the part before &&; \`open\` is macOS')` : example
      const reason = skipReason(example)
      it.skipIf(reason !== null)(reason ? `${name} (skipped: ${reason})` : name, () => {
        expectOk(dualfit(run.split(' ').slice(1), cwd))
        for (const m of run.matchAll(/--(?:out|save) (\S+)/g))
          expect(existsSync(join(cwd, m[1] ?? '')), m[1]).toBe(true)
      })
    }
  })
}

/** pnpm as a user's shell runs it: no variables of an enclosing pnpm, turbo or vitest, no workspace bins on PATH. */
function pnpm(args: string[]): Run {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env))
    if (!/^(npm_|pnpm_|TURBO|VITEST|INIT_CWD|NODE_OPTIONS|DUALFIT_)/i.test(k)) env[k] = v
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((d) => d && !`${d}${sep}`.startsWith(ROOT))
    .join(delimiter)
  const r = spawnSync('pnpm', args, { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('pnpm compare and pnpm dualfit, from the workspace root', () => {
  /** No line of pnpm's (`$ command`, ELIFECYCLE) or turbo's (banner, `•`, task lines). */
  const expectOnlyDualfit = (r: Run) => {
    for (const noise of ['$ ', 'turbo', 'ELIFECYCLE', '•', 'ERR_PNPM'])
      expect(r.stdout + r.stderr).not.toContain(noise)
  }

  it('prints the table and its lines, nothing else', () => {
    const r = pnpm(['compare', '--spec', 'experiments/seed-torch.json'])
    expectOnlyDualfit(r)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout.split('\n')[0]).toBe('seed-torch')
    expect(r.stdout).toMatch(/keras-style.*torch-style/)
    // As --format json: stdout is one JSON document, so not a byte of anything else.
    const json = pnpm(['compare', '--spec', 'experiments/seed-torch.json', '--format', 'json'])
    expect(json.stderr).toBe('')
    expect(JSON.parse(json.stdout).kind).toBe('dualfit.compare')
  })

  it('answers bad input with one line and exit 2', () => {
    const r = pnpm(['compare', '--set', 'epochs=-1'])
    expectOnlyDualfit(r)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^dualfit: .*epochs: expected a number > 0, got -1\n$/)
    expect(r.code).toBe(2)
  })

  it('names the command `pnpm dualfit` in usage lines, examples and messages', () => {
    const help = pnpm(['dualfit', 'merge', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^pnpm dualfit merge <dirs\.\.>/)
    expect(help.stdout).toContain('  pnpm dualfit merge out-0/ out-1/ out-2/ --out all/')
    const out = join(tempDir(), 's0')
    const shard = pnpm(['compare', '--spec', 'experiments/seed-torch.json', '--out', out, '--shard', '0/3'])
    expect(shard.code, shard.stderr).toBe(0)
    expect(shard.stdout).toContain('combine the shards with pnpm dualfit merge')
  })
})
