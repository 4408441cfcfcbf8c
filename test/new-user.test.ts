/**
 * What a new user trips on (issue 19, items 3, 6 and 7), end to end: every prediction and output in
 * the tables, per-output test MSE, no empty rows, true words in footers and messages, and the
 * CLI's own texts. Runs the built CLI (`pnpm build` first).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dualfit, fixture, tempDir } from './cli.js'

const mini = () => JSON.parse(readFileSync(fixture('mini.json'), 'utf8'))

/** Two outputs of one input (y1 = 2x, y2 = 100 - x), 20 rows of which 5 held out, predicted at two inputs. */
function twoOutputSpec(dir: string): string {
  const xs = Array.from({ length: 20 }, (_, i) => i / 4)
  const spec = {
    ...mini(),
    name: 'two-outputs',
    dataset: { inline: { x: xs, y: xs.map((x) => [2 * x, 100 - x]) } },
    model: { layers: [{ units: 2, activation: 'linear' }] },
    grid: {},
    cv: undefined,
    split: { test: 0.25 },
    report: { predict: [1, 3] },
  }
  const path = join(dir, 'two.json')
  writeFileSync(path, JSON.stringify(spec))
  return path
}

describe('every prediction and every output', () => {
  it('shows each report input of --set report.predict in the table, the Markdown and the CSV', () => {
    const cwd = tempDir()
    const set = ['--spec', fixture('mini.json'), '--set', 'report.predict=[100,200]', '--quiet']
    const r = dualfit(['compare', ...set, '--out', 'out', '--layout', 'tall'], cwd)
    expect(r.code).toBe(0)
    for (const label of ['pred @ 100 m', 'pred @ 200 m', '|error| @ 100 m', '|error| @ 200 m'])
      expect(r.stdout).toContain(`│ ${label} `)
    const md = readFileSync(join(cwd, 'out', 'results.md'), 'utf8')
    expect(md).toContain('pred @ 200 m')
    const [head, row] = readFileSync(join(cwd, 'out', 'results.csv'), 'utf8').split('\n')
    const cell = (name: string) => row?.split(',')[head?.split(',').indexOf(name) ?? -1]
    expect(cell('predict_x')).toBe('100;200')
    expect(cell('exact')).toBe('328.084;656.168')
    expect(cell('prediction')?.split(';')).toHaveLength(2)
  })

  it("gives each output its own prediction and test MSE, in its own units, and results.json each output's MSE", () => {
    const cwd = tempDir()
    const r = dualfit(['compare', '--spec', twoOutputSpec(cwd), '--layout', 'tall', '--quiet'], cwd)
    expect(r.code).toBe(0)
    for (const label of [
      'pred y0 @ 1',
      'pred y1 @ 1',
      'pred y0 @ 3',
      'pred y1 @ 3',
      'test MSE y0',
      'test MSE y1',
    ])
      expect(r.stdout).toContain(`│ ${label} `)
    expect(r.stdout).not.toContain('│ test MSE  ')
    const out = JSON.parse(dualfit(['compare', '--spec', twoOutputSpec(cwd), '--format', 'json'], cwd).stdout)
    for (const t of out.results[0].trials) {
      expect(t.testMseByOutput).toHaveLength(2)
      // The overall MSE is the mean of the outputs' (it adds y0² and y1² units together).
      const [a, b] = t.testMseByOutput as [number, number]
      expect((a + b) / 2).toBeCloseTo(t.testMse, 4)
    }
  })

  it('leaves out rows with nothing to show: user data without report.predict has no prediction row', () => {
    const cwd = tempDir()
    const rows = Array.from({ length: 30 }, (_, i) => `${i},${3 * i + 1}`)
    writeFileSync(join(cwd, 'd.csv'), ['a,b', ...rows].join('\n'))
    const r = dualfit(
      ['compare', '--data', 'd.csv', '--x', 'a', '--y', 'b', '--layout', 'tall', '--quiet'],
      cwd,
    )
    expect(r.code).toBe(0)
    expect(r.stdout).not.toMatch(/│ pred/)
    expect(r.stdout).not.toContain('prediction')
    // No row whose every backend cell is '—'.
    expect(r.stdout).not.toMatch(/│ [^│]+│ — +│ — +│/)
  })
})

describe('true words', () => {
  it("names two engines of one backend backend:engine, and says what keras-style's cpu engine is faster than", () => {
    const spec = ['--spec', fixture('mini.json'), '--quiet', '--layout', 'tall']
    const two = dualfit(['compare', ...spec, '--backends', 'torch-style:cpu,torch-style:wasm'], undefined, {
      COLUMNS: '200',
    })
    expect(two.code).toBe(0)
    expect(two.stdout).toContain('Δ torch-style:cpu − torch-style:wasm')
    expect(two.stdout).toMatch(/wall: torch-style:cpu [\d.]+ m?s, torch-style:wasm [\d.]+ m?s/)
    const keras = dualfit(['compare', ...spec, '--backends', 'keras-style', '--seeds', '2'], undefined, {
      COLUMNS: '200',
    })
    expect(keras.stdout).toContain(
      "steps this small run faster on keras-style's cpu kernels than on its wasm ones",
    )
    expect(keras.stdout).not.toContain('launch faster')
    // Over seeds: the footer says what the score cell (mean ± sd) is, beside the median [min–max] cells.
    expect(keras.stdout).toContain(
      'cells: median [min–max] over seeds, scores mean ± sd (as selection ranks them)',
    )
  })

  it('lists every installed backend, pytorch included, and says an unbuilt one is not built', () => {
    const listed = JSON.parse(dualfit(['backends', '--format', 'json']).stdout) as { id: string }[]
    expect(listed.map((b) => b.id).slice(0, 3)).toEqual(['keras-style', 'torch-style', 'pytorch'])
    const cwd = tempDir()
    const pkg = join(cwd, 'node_modules', 'dualfit-backend-unbuilt')
    mkdirSync(pkg, { recursive: true })
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({
        name: 'dualfit-backend-unbuilt',
        type: 'module',
        exports: { '.': './dist/index.js' },
      }),
    )
    const missing = join(pkg, 'dist', 'index.js')
    const named = dualfit(['backends', '--backends', 'unbuilt'], cwd)
    expect(named.code).toBe(2)
    expect(named.stderr).toBe(
      `dualfit: backend 'unbuilt': package 'dualfit-backend-unbuilt' is installed but not built: ${missing} is missing (run pnpm build in its workspace)\n`,
    )
    const all = JSON.parse(dualfit(['backends', '--format', 'json'], cwd).stdout) as {
      id: string
      problem?: string
    }[]
    expect(all.find((b) => b.id === 'unbuilt')?.problem).toContain('is installed but not built')
  })
})

describe("the CLI's own texts", () => {
  it('says how many finished trials --resume reused, and from which journal', () => {
    const cwd = tempDir()
    const run = ['compare', '--spec', fixture('mini.json'), '--out', 'out', '--quiet']
    expect(dualfit(run, cwd).code).toBe(0)
    const again = dualfit([...run, '--resume'], cwd)
    expect(again.code).toBe(0)
    expect(again.stderr).toBe(`dualfit: resumed: 16 of 16 trial(s) from ${join('out', 'journal.jsonl')}\n`)
  })

  it('writes --x and --y as the docs do, describes every train option, and shows no default for merge dirs', () => {
    for (const command of ['compare', 'train', 'predict']) {
      const help = dualfit([command, '--help']).stdout
      expect(help).toMatch(/^ {6}--x {2,}\S/m)
      expect(help).not.toMatch(/^ {2}-[xy] /m)
    }
    const train = dualfit(['train', '--help'], undefined, { COLUMNS: '120' }).stdout
    expect(train).toMatch(/^ {6}--device +run on the backend's preferred engine/m)
    expect(train).toMatch(/^ {6}--seed +the run's seed/m)
    const merge = dualfit(['merge', '--help']).stdout
    expect(merge).toContain('[array] [required]')
    expect(merge).not.toContain('[default: []]')
  })
})
