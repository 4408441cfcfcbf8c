/**
 * dualfit against scikit-learn on a real classification problem: logistic regression on the cars
 * data (benchmarks/reference/logreg-cars.json vs logreg_sklearn.py), and core's unshuffled
 * stratifiedKFold against StratifiedKFold, fold for fold.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stratifiedKFold } from '@dualfit/core'
import { describe, expect, it } from 'vitest'
import { dualfit, tempDir } from './cli.js'

const PYTHON = '/usr/bin/python3'
const reference = (name: string) => fileURLToPath(new URL(`../benchmarks/reference/${name}`, import.meta.url))
const SCRIPT = reference('logreg_sklearn.py')
// vega-datasets exports only its index (build/); the data files sit beside that folder.
const CARS = join(dirname(createRequire(import.meta.url).resolve('vega-datasets')), '..', 'data', 'cars.json')

const probe = spawnSync(PYTHON, ['-c', 'import sklearn'], { encoding: 'utf8' })
const noSklearn =
  probe.status === 0 ? null : `${PYTHON} cannot import sklearn (apt-get install -y python3-sklearn)`

function sklearn<T>(args: string[]): T {
  const r = spawnSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', timeout: 120_000 })
  if (r.status !== 0) throw new Error(`logreg_sklearn.py ${args[0]}: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as T
}

describe.skipIf(noSklearn)(`scikit-learn reference${noSklearn ? ` (skipped: ${noSklearn})` : ''}`, () => {
  it("logistic regression on cars: torch-style's CV log loss is within 2% of LogisticRegression(penalty=None)'s", () => {
    const want = sklearn<{ rows: number; cvLogLoss: number; folds: number[] }>([CARS])
    const cwd = tempDir()
    const spec = JSON.parse(readFileSync(reference('logreg-cars.json'), 'utf8'))
    writeFileSync(
      join(cwd, 'spec.json'),
      JSON.stringify({ ...spec, dataset: { ...spec.dataset, file: CARS } }),
    )
    const r = dualfit(
      ['compare', '--spec', 'spec.json', '--backends', 'torch-style', '--format', 'json', '--quiet'],
      cwd,
    )
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const result = JSON.parse(r.stdout).results[0]
    expect(result.data.rows).toBe(want.rows)
    const score = result.selection.scores[0]
    expect(Math.abs(score.mean / want.cvLogLoss - 1)).toBeLessThan(0.02)
    // The same folds: each fold's log loss agrees too.
    score.values.forEach((v: number, f: number) => {
      expect(Math.abs(v / (want.folds[f] as number) - 1), `fold ${f}`).toBeLessThan(0.02)
    })
  })

  it.each([
    ['three balanced classes', [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], 5],
    ['uneven classes, first seen out of order', [2, 2, 0, 2, 1, 2, 2, 0, 2, 1, 2, 0, 2, 2, 1, 0, 2, 2], 3],
    ['binary, 9 to 6', [1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0], 4],
    ['a class of exactly k rows', [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 3, 3, 3], 3],
  ])('stratifiedKFold equals StratifiedKFold without shuffle: %s', (_, labels, k) => {
    const { folds } = sklearn<{ folds: number[] }>(['--folds', JSON.stringify(labels), String(k)])
    const ours = new Array<number>(labels.length)
    for (const fold of stratifiedKFold(labels, k)) for (const i of fold.test) ours[i] = fold.index
    expect(ours).toEqual(folds)
  })
})
