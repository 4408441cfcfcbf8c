/**
 * A backend package that breaks the contract is refused when it loads: exit 2, one line naming
 * what is missing, before any trial runs (no plan line, no --out folder, no journal). The same
 * package with every member runs to the end, so the refusals are about the member alone. Runs the
 * built CLI (`npx turbo run build --filter=dualfit...` first).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dualfit, fixture, tempDir } from './cli.js'

/**
 * A whole Backend in plain JavaScript that takes no optimizer step: it hands back the weights it
 * was given. `omit` deletes members from the object createBackend() returns.
 */
function backendSource(omit: string[]): string {
  return `const weights = (job) => job.initialWeights.map((w) => ({ ...w, kernel: w.kernel.slice(), bias: w.bias.slice() }))
export function createBackend() {
  const backend = {
    id: 'partial',
    version: 'dualfit-backend-partial@0.0.0',
    engines: [{ id: 'cpu', device: 'cpu', detail: 'plain JavaScript', probe: async () => null }],
    async train(job, hooks) {
      let steps = 0
      for (let epoch = 0; epoch < job.epochs; epoch++) {
        steps += Math.ceil(job.data.n / job.batchSize)
        const logs = job.validation ? { loss: 1, valLoss: 1 } : { loss: 1 }
        if ((await hooks.onEpochEnd(epoch, logs, async () => weights(job))) === 'stop') break
      }
      return { weights: weights(job), steps, setupMs: 0 }
    },
    settings: (job) => ({ initializer: 'given', order: 'given', batchSize: job.batchSize, epsilon: null, lossReduction: 'mean' }),
    async predict(model, x) {
      return new Float32Array((x.length / model.inputs) * model.layers[model.layers.length - 1].units)
    },
    async dispose() {},
  }
  for (const member of ${JSON.stringify(omit)}) delete backend[member]
  return backend
}
`
}

/** A scratch folder holding the package ./partial (missing `omit`) and long.json, a spec. */
function project(omit: string[]): string {
  const cwd = tempDir()
  const pkg = join(cwd, 'partial')
  mkdirSync(pkg)
  writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({ name: 'dualfit-backend-partial', version: '0.0.0', type: 'module', main: 'index.js' }),
  )
  writeFileSync(join(pkg, 'index.js'), backendSource(omit))
  // mini's protocol with epochs enough that a run first announces its plan on a "plan:" line.
  const spec = JSON.parse(readFileSync(fixture('mini.json'), 'utf8'))
  writeFileSync(join(cwd, 'long.json'), JSON.stringify({ ...spec, epochs: 10000 }))
  return cwd
}

const compare = (cwd: string) =>
  dualfit(['compare', '--backends', './partial', '--spec', 'long.json', '--out', 'out'], cwd)

describe('a backend package missing a required member', () => {
  for (const member of ['settings', 'predict']) {
    it(`without ${member}: refused at load, in about a second, before any trial`, () => {
      const cwd = project([member])
      const started = Date.now()
      const r = compare(cwd)
      const seconds = (Date.now() - started) / 1000
      expect(r.stderr).toBe(
        `dualfit: backend './partial': package './partial' is not a dualfit Backend: missing or wrong ${member} (see docs/writing-a-backend.md)\n`,
      )
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('')
      // The run never started: nothing planned aloud, no --out folder, so no journal either.
      expect(r.stderr).not.toContain('plan:')
      expect(existsSync(join(cwd, 'out'))).toBe(false)
      expect(readdirSync(cwd).sort()).toEqual(['long.json', 'partial'])
      // Node's start and the spec's checks; the planned run would take minutes.
      expect(seconds).toBeLessThan(5)
    })
  }

  it('names every member that is missing, in one line', () => {
    const r = compare(project(['settings', 'predict', 'dispose']))
    expect(r.stderr).toMatch(/^dualfit: .*missing or wrong settings, predict, dispose \(see [^\n]*\)\n$/)
    expect(r.code).toBe(2)
  })

  it('the same package with every member loads, plans aloud and runs to its results', () => {
    const cwd = project([])
    const r = compare(cwd)
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('plan: 1 spec(s) x 1 backend(s):')
    expect(r.stdout).toContain('partial')
    const written = JSON.parse(readFileSync(join(cwd, 'out', 'results.json'), 'utf8'))
    expect(written.results[0].backend.id).toBe('partial')
    expect(written.results[0].backend.settings).toMatchObject({ initializer: 'given', lossReduction: 'mean' })
  })
})
