/**
 * Classification through the CLI: --data with a column of text labels (the template, said on
 * stderr), --task, the one-line refusals of labels and outputs that cannot be classified, iris on
 * torch-style, and a saved classifier's predictions with their class.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { dualfit, tempDir } from './cli.js'

const IRIS = fileURLToPath(new URL('../experiments/iris.json', import.meta.url))

interface Trial {
  stage: string
  classification?: { test: { accuracy: number; logLoss: number } | null }
  predictions: { x: number[]; y: number[]; label?: string }[]
}
interface Result {
  spec: { model: { layers: { units: number; activation: string }[] }; selection: { score: string } }
  data: { classes?: string[]; classCounts?: number[] }
  trials: Trial[]
}

/** A scratch folder holding `files` (name -> content). */
function folder(files: Record<string, string>): string {
  const cwd = tempDir()
  for (const [name, content] of Object.entries(files)) writeFileSync(join(cwd, name), content)
  return cwd
}

/** 60 rows, three well-separated colours named by text; `label` may rename a row's class. */
function colours(label = (c: string, _i: number) => c): string {
  const names = ['red', 'green', 'blue']
  const rows = Array.from({ length: 60 }, (_, i) => {
    const c = i % 3
    return `${c * 3 + ((i * 7) % 10) / 10},${-2 * c + ((i * 3) % 10) / 10},${label(names[c] as string, i)}`
  })
  return `a,b,colour\n${rows.join('\n')}\n`
}

const refits = (r: Result) => r.trials.filter((t) => t.stage === 'refit')

/** One line on stderr and exit 2. */
function expectOneLine(r: { code: number | null; stderr: string }, part: string | RegExp): void {
  expect(r.code, r.stderr).toBe(2)
  const lines = r.stderr.trim().split('\n')
  expect(lines, r.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(part)
}

describe('compare --data with a column of text labels', () => {
  it('runs the classification template, says so in one line, and names the classes', () => {
    const cwd = folder({ 'colours.csv': colours() })
    const r = dualfit(
      ['compare', '--data', 'colours.csv', '--x', 'a,b', '--y', 'colour', '--backends', 'torch-style'],
      cwd,
    )
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr.trim()).toBe(
      'dualfit: colour holds text labels (3 classes): running classification (--task classification)',
    )
    expect(r.stdout).toMatch(/test accuracy/)
    const json = dualfit(
      [
        'compare',
        ...['--data', 'colours.csv', '--x', 'a,b', '--y', 'colour', '--task', 'classification'],
        ...['--backends', 'torch-style', '--format', 'json'],
      ],
      cwd,
    )
    expect(json.code, json.stderr).toBe(0)
    // Told, the task needs no note.
    expect(json.stderr).toBe('')
    const [result] = JSON.parse(json.stdout).results as Result[]
    // Code point order, as scikit-learn's LabelEncoder sorts text labels.
    expect(result?.data.classes).toEqual(['blue', 'green', 'red'])
    expect(result?.data.classCounts).toEqual([20, 20, 20])
    expect(result?.spec.model.layers.at(-1)).toEqual({ units: 3, activation: 'linear' })
    expect(result?.spec.selection.score).toBe('cv_log_loss')
    for (const t of refits(result as Result))
      expect(t.classification?.test?.accuracy).toBeGreaterThanOrEqual(0.9)
  })

  it('a numeric column stays a regression target; a few distinct integers get a hint', () => {
    const csv = `x,y\n${Array.from({ length: 20 }, (_, i) => `${i},${i % 2}`).join('\n')}\n`
    const r = dualfit(
      ['compare', '--data', 'd.csv', '--x', 'x', '--y', 'y', '--backends', 'torch-style', '--format', 'json'],
      folder({ 'd.csv': csv }),
    )
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toBe(
      'dualfit: y holds 2 distinct integers: running regression on them as numbers; add --task classification if they are classes\n',
    )
    const [result] = JSON.parse(r.stdout).results as Result[]
    expect(result?.data.classes).toBeUndefined()
    const many = `x,y\n${Array.from({ length: 30 }, (_, i) => `${i},${i * 3}`).join('\n')}\n`
    const quiet = dualfit(
      ['compare', '--data', 'd.csv', '--x', 'x', '--y', 'y', '--backends', 'torch-style', '--format', 'json'],
      folder({ 'd.csv': many }),
    )
    expect(quiet.code, quiet.stderr).toBe(0)
    expect(quiet.stderr).toBe('')
  })
})

describe('labels and outputs that cannot be classified: one line, exit 2', () => {
  const run = (files: Record<string, string>, args: string[]) =>
    dualfit(['compare', ...args, '--backends', 'torch-style'], folder(files))

  it('a column of fractions under --task classification', () => {
    const csv = `x,y\n${Array.from({ length: 20 }, (_, i) => `${i},${i / 4}`).join('\n')}\n`
    expectOneLine(
      run({ 'd.csv': csv }, ['--data', 'd.csv', '--x', 'x', '--y', 'y', '--task', 'classification']),
      /d\.csv: row 2, column 'y': expected an integer class label .* got 0\.25/,
    )
  })

  it('a column with one class', () => {
    expectOneLine(
      run({ 'd.csv': colours(() => 'grey') }, [
        ...['--data', 'd.csv', '--x', 'a,b', '--y', 'colour', '--task', 'classification'],
      ]),
      /column 'colour' has one class \('grey'\) in 60 rows, expected at least 2/,
    )
  })

  it('a class with fewer rows than folds', () => {
    const csv = colours((c, i) => (i < 9 && c === 'red' ? 'pink' : c))
    expectOneLine(
      run({ 'd.csv': csv }, ['--data', 'd.csv', '--x', 'a,b', '--y', 'colour', '--task', 'classification']),
      /cv\.folds: class 'pink' of column 'colour' has \d row\(s\) after holding out 12 for test, expected at least 5/,
    )
  })

  const spec = (loss: unknown, last: { units: number; activation: string }) =>
    JSON.stringify({
      name: 'moons',
      dataset: { builtin: 'moons' },
      model: { layers: [{ units: 8, activation: 'tanh' }, last] },
      loss,
      optimizer: { lr: 0.01 },
      epochs: 5,
    })

  it.each([
    [
      'binary_cross_entropy with 2 units',
      spec('binary_cross_entropy', { units: 2, activation: 'linear' }),
      /model\.layers\[1\]\.units: expected 1 .* for binary_cross_entropy, got 2; use cross_entropy/,
    ],
    [
      'cross_entropy on logits with a sigmoid last layer',
      spec('cross_entropy', { units: 2, activation: 'sigmoid' }),
      /model\.layers\[1\]\.activation: expected 'linear' \(logits: cross_entropy applies the softmax itself\), got 'sigmoid'/,
    ],
    [
      'cross_entropy on probabilities with a linear last layer',
      spec({ name: 'cross_entropy', fromLogits: false }, { units: 2, activation: 'linear' }),
      /model\.layers\[1\]\.activation: expected 'softmax' \(loss\.fromLogits is false/,
    ],
  ])('%s', (_, text, message) => {
    expectOneLine(run({ 's.json': text }, ['--spec', 's.json']), message)
  })

  it('--task that the spec does not do', () => {
    expectOneLine(
      run({ 's.json': spec('cross_entropy', { units: 2, activation: 'linear' }) }, [
        '--spec',
        's.json',
        '--task',
        'regression',
      ]),
      /--task regression: spec 's\.json' is a classification spec/,
    )
  })
})

it('iris.json on torch-style: every seed reaches test accuracy 0.9', () => {
  const r = dualfit(['compare', '--spec', IRIS, '--backends', 'torch-style', '--format', 'json'])
  expect(r.code, r.stderr).toBe(0)
  const [result] = JSON.parse(r.stdout).results as Result[]
  const finals = refits(result as Result)
  expect(finals).toHaveLength(3)
  for (const t of finals) {
    expect(t.classification?.test?.accuracy).toBeGreaterThanOrEqual(0.9)
    // The spec's two report inputs: a setosa and a virginica from Fisher's table.
    expect(t.predictions.map((p) => p.label)).toEqual(['setosa', 'virginica'])
    for (const p of t.predictions) expect(p.y.reduce((a, b) => a + b)).toBeCloseTo(1, 5)
  }
})

it('a saved classifier predicts a class and each class probability', () => {
  const cwd = folder({ 'colours.csv': colours() })
  const train = dualfit(
    [
      'train',
      ...['--data', 'colours.csv', '--x', 'a,b', '--y', 'colour', '--set', 'report.predict=[[6.5,-3.5]]'],
      ...['--save', 'colours.onnx'],
    ],
    cwd,
  )
  expect(train.code, train.stderr).toBe(0)
  expect(train.stdout).toMatch(
    /predict 6\.5, -3\.5 -> blue \(p\(blue\) [\d.e-]+, p\(green\) [\d.e-]+, p\(red\) [\d.e-]+\)/,
  )
  expect(train.stdout).toMatch(/test accuracy [\d.]+, log loss [\d.e-]+ on 12 held-out rows/)
  const table = dualfit(['predict', '--model', 'colours.onnx', '--x', '0.5,0.5', '--x', '6.5,-3.5'], cwd)
  expect(table.code, table.stderr).toBe(0)
  expect(table.stdout).toMatch(/│ x +│ class +│ p\(blue\) +│ p\(green\) +│ p\(red\) +│/)
  expect(table.stdout).toMatch(/│ 0\.5, 0\.5 +│ red +│/)
  expect(table.stdout).toMatch(/│ 6\.5, -3\.5 +│ blue +│/)
  const json = dualfit(['predict', '--model', 'colours.onnx', '--x', '6.5,-3.5', '--format', 'json'], cwd)
  expect(json.code, json.stderr).toBe(0)
  const out = JSON.parse(json.stdout)
  expect(out.classes).toEqual(['blue', 'green', 'red'])
  expect(out.predictions[0].label).toBe('blue')
  expect(out.predictions[0].y).toHaveLength(3)
  expect(out.predictions[0].y.reduce((a: number, b: number) => a + b)).toBeCloseTo(1, 5)
})

it('datasets lists each built-in with its task and classes', () => {
  const r = dualfit(['datasets', '--format', 'json'])
  expect(r.code, r.stderr).toBe(0)
  const list = JSON.parse(r.stdout) as { name: string; task: string; classes?: string[] }[]
  expect(list.find((d) => d.name === 'iris')).toMatchObject({
    task: 'classification',
    classes: ['setosa', 'versicolor', 'virginica'],
  })
  expect(list.find((d) => d.name === 'sin')?.task).toBe('regression')
  expect(dualfit(['datasets']).stdout).toMatch(/│ iris +│ 150 +│ classification: +│/)
})

describe('parity --versus: logits into the loss against a softmax layer with clipped probabilities', () => {
  it('lists the spec fields that differ and names the clip as the one setting apart', () => {
    const r = dualfit([
      'parity',
      '--spec',
      IRIS,
      '--backends',
      'torch-style',
      '--versus',
      'loss.fromLogits=false',
      '--versus',
      'model.layers.1.activation=softmax',
      '--seeds',
      '1',
      '--format',
      'json',
    ])
    expect(r.stderr).toBe('')
    // No iris probability reaches the clip in these epochs: the curves agree to float32 rounding.
    expect(r.code).toBe(0)
    const { reports } = JSON.parse(r.stdout) as {
      reports: { backends: string[]; variant: string[]; differences: string[]; curves: { max: number } }[]
    }
    const [p] = reports
    expect(p?.backends).toEqual(['torch-style:cpu', 'torch-style:cpu (variant)'])
    expect(p?.variant).toEqual([
      'model.layers[1].activation "linear" vs "softmax"',
      'loss.fromLogits true vs false',
    ])
    expect(p?.differences[0]).toMatch(
      /^softmax: in the loss \(logits out of the model\), unclipped \(torch-style:cpu\) vs as the last layer, probabilities clipped to \[1e-7, 1 - 1e-7\] .*the losses differ only where a probability passes the clip/,
    )
    expect(p?.curves.max).toBeLessThan(1e-4)
  })

  it('needs two backends, or one with --versus', () => {
    const r = dualfit(['parity', '--spec', IRIS, '--backends', 'torch-style'])
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toBe('dualfit: --backends: expected two backends to compare, got 1 (torch-style)')
  })
})
