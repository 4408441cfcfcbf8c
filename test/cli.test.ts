import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { dualfit, fixture, interrupt, tempDir } from './cli.js'

const json = (s: string) => JSON.parse(s)

describe('dualfit compare', () => {
  it('runs a spec on both backends with identical experiments (--format json)', () => {
    const r = dualfit(['compare', '--spec', fixture('mini.json'), '--format', 'json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const out = json(r.stdout)
    expect(out.kind).toBe('dualfit.compare')
    expect(out.results.map((x: { backend: { id: string } }) => x.backend.id)).toEqual([
      'keras-style',
      'torch-style',
    ])
    const [k, t] = out.results
    expect(k.specHash).toBe(t.specHash)
    // 2 lrs x 3 folds + refit + early-stopping run, on each backend
    expect(k.trials.map((x: { id: string }) => x.id)).toEqual(t.trials.map((x: { id: string }) => x.id))
    expect(k.trials).toHaveLength(8)
    for (const s of out.summaries) {
      expect(s.selected).toEqual({ 'optimizer.lr': 0.5 })
      expect(s.predictions[0].exact).toBeCloseTo(328.084, 6)
      expect(Math.abs(s.predictions[0].y.mean - 328.084)).toBeLessThan(5)
      expect(s.steps).toBeGreaterThan(0)
    }
    // Same start, same batches, same optimizer: the two engines agree closely after 30 epochs.
    const w = (x: { trials: { stage: string; weights: { kernel: number[] }[] }[] }) =>
      x.trials.find((tr) => tr.stage === 'refit')?.weights[0]?.kernel[0] as number
    expect(Math.abs(w(k) - w(t))).toBeLessThan(1e-2)
  })

  it('prints one table per spec with a difference row and writes results atomically with --out', () => {
    const out = join(tempDir(), 'results')
    const r = dualfit([
      'compare',
      '--spec',
      fixture('mini.json'),
      '--out',
      out,
      '--seeds',
      '2',
      '--layout',
      'wide',
    ])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('keras-style (')
    expect(r.stdout).toContain('Δ keras-style − torch-style')
    expect(r.stdout).toMatch(/mini · spec [0-9a-f]{12} · meters-feet: 7 rows · seeds 0,1/)
    expect(readdirSync(out)).toEqual(
      expect.arrayContaining(['journal.jsonl', 'results.csv', 'results.json', 'results.md']),
    )
    expect(json(readFileSync(join(out, 'results.json'), 'utf8')).results[0].spec.seeds).toEqual([0, 1])
    expect(readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n')).toHaveLength(3)
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toContain('| backend |')
  })

  it.each([
    [
      ['compare', '--backends', 'no-such-backend'],
      "backend 'no-such-backend': no installed package 'no-such-backend'",
    ],
    [['compare', '--spec', 'missing.json'], "spec file 'missing.json': cannot read (no such file)"],
    [['compare', '--device', 'tpu'], 'Invalid values'],
    [['compare', '--seeds', '0'], "--seeds: expected a positive integer, got '0'"],
    [['compare', '--format', 'xml'], 'Invalid values'],
    [
      ['compare', '--spec', fixture('mini.json'), '--set', 'optimizer.lr=-1'],
      'optimizer.lr: expected a number > 0, got -1',
    ],
    [['compare', '--bogus'], 'Unknown argument: bogus'],
    [['compare', '--backends', 'torch-style:tpu'], "engine 'tpu': torch-style offers"],
    [['compare', '--device', 'gpu'], '--device gpu: keras-style has no available engine'],
  ])('%j fails with one line, exit 2, nothing written', (args, message) => {
    const cwd = tempDir()
    const r = dualfit([...args, '--out', 'out'], cwd)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain(message)
    expect(existsSync(join(cwd, 'out'))).toBe(false)
  })

  it('refuses an --out that is a file before training', () => {
    const cwd = tempDir()
    writeFileSync(join(cwd, 'taken'), 'x')
    const r = dualfit(['compare', '--out', 'taken'], cwd)
    expect(r.code).toBe(2)
    expect(r.stderr).toBe("dualfit: --out 'taken': exists and is not a folder\n")
    expect(readFileSync(join(cwd, 'taken'), 'utf8')).toBe('x')
  })

  it('reports a bad spec file with one line per problem', () => {
    const cwd = tempDir()
    writeFileSync(join(cwd, 'bad.json'), JSON.stringify({ name: 'x', epochs: -1, optimizer: { lr: 'fast' } }))
    const r = dualfit(['compare', '--spec', 'bad.json'], cwd)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('dualfit: bad.json: epochs: expected a number > 0, got -1')
    expect(r.stderr).toContain('dualfit: bad.json: optimizer.lr: expected a number, got "fast"')
    writeFileSync(join(cwd, 'broken.json'), '{ "name": ')
    const b = dualfit(['compare', '--spec', 'broken.json'], cwd)
    expect(b.code).toBe(2)
    expect(b.stderr).toMatch(/^dualfit: spec file 'broken.json': not valid JSON/)
  })

  it('leaves no partial result file when interrupted with Ctrl-C, only the journal of finished trials', async () => {
    const cwd = tempDir()
    const r = await interrupt(['compare', '--out', 'out'], 2500, cwd)
    expect(r.code).toBe(130)
    expect(r.stderr).toContain('interrupted')
    expect(readdirSync(join(cwd, 'out'))).toEqual(['journal.jsonl'])
    expect(readdirSync(cwd)).toEqual(['out'])
  })
})

describe('compare tables fit the terminal', () => {
  it.each([100, 80])(
    'no line longer than COLUMNS=%i, a row per measure when a row per backend does not fit',
    (width) => {
      const r = dualfit(['compare', '--spec', fixture('mini.json'), '--quiet'], tempDir(), {
        COLUMNS: String(width),
      })
      expect(r.code).toBe(0)
      const lines = r.stdout.split('\n')
      expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(width)
      expect(r.stdout).toContain('│ measure ')
      expect(r.stdout).toMatch(/keras-style {2}[▁-█]+ /)
      const wide = dualfit(
        ['compare', '--spec', fixture('mini.json'), '--quiet', '--layout', 'wide'],
        tempDir(),
        {
          COLUMNS: String(width),
        },
      )
      expect(wide.stdout).toContain('│ backend ')
    },
  )
})

describe('dualfit train, predict, export', () => {
  it('trains one configuration, saves ONNX, and predict gives the same numbers', () => {
    const cwd = tempDir()
    const args = [
      'train',
      '--spec',
      fixture('mini.json'),
      '--backend',
      'torch-style',
      '--set',
      'optimizer.lr=0.5',
    ]
    const t = dualfit([...args, '--save', 'model.onnx', '--format', 'json'], cwd)
    expect(t.code).toBe(0)
    const r = json(t.stdout)
    expect(r.trials).toHaveLength(1)
    expect(r.trials[0].history.loss).toHaveLength(30)
    const trained = r.trials[0].predictions[0].y[0]
    const p = dualfit(['predict', '--model', 'model.onnx', '--x', '100', '--x', '0', '--format', 'json'], cwd)
    expect(p.code).toBe(0)
    const preds = json(p.stdout).predictions
    expect(preds[0].y[0]).toBeCloseTo(trained, 4)
    expect(preds[1].y[0]).toBeCloseTo(r.trials[0].weights[0].bias[0], 5)
    const text = dualfit(args, cwd)
    expect(text.stdout).toMatch(/epoch.*loss.*max \|error\| at report inputs/)
    expect(text.stdout).toContain('predict 100 ->')
  })

  it('train says from which epoch the error at the report input stays within the tolerance', () => {
    const seedTorch = fixture('../../experiments/seed-torch.json')
    const args = ['train', '--spec', seedTorch, '--set', 'epochs=900', '--format', 'json']
    const trial = json(dualfit(args).stdout).trials[0]
    const e = trial.toQuality.epochs
    expect(trial.history.error.slice(e - 1).every((v: number) => v <= 0.01)).toBe(true)
    expect(trial.history.error[e - 2]).toBeGreaterThan(0.01)
    expect(trial.toQuality.steps).toBe(e)
    const text = dualfit(args.slice(0, -2)).stdout
    expect(text).toMatch(
      new RegExp(
        `within 0\\.01 ft at every report input from epoch ${e} on \\(step ${e}, \\S+ (µs|ms|s) of training\\)`,
      ),
    )
    const loose = dualfit([...args.slice(0, -2), '--set', 'report.tolerance=0.5']).stdout
    expect(loose).toMatch(/within 0\.5 ft at every report input from epoch \d+ on/)
    expect(dualfit(['train', '--spec', seedTorch]).stdout).toContain(
      'not within 0.01 ft at the end of training',
    )
  })

  it('train --early-stopping runs the spec rule alone, and both styles stop at the same epoch', () => {
    const seedTorch = fixture('../../experiments/seed-torch.json')
    const runs = ['keras-style', 'torch-style'].map((backend) => {
      const r = dualfit([
        'train',
        '--spec',
        seedTorch,
        '--backend',
        backend,
        '--early-stopping',
        '--format',
        'json',
      ])
      expect(r.code).toBe(0)
      const trials = json(r.stdout).trials
      expect(trials.map((t: { stage: string }) => t.stage)).toEqual(['early-stopping'])
      return trials[0]
    })
    for (const t of runs) {
      expect(t.stoppedEpoch).not.toBeNull()
      expect(t.epochsRun).toBe(t.stoppedEpoch + 1)
      expect(t.epochsRun).toBeLessThan(100)
    }
    expect(runs[0].stoppedEpoch).toBe(runs[1].stoppedEpoch)
  })

  it('exports a model from a results file', () => {
    const cwd = tempDir()
    expect(
      dualfit(['compare', '--spec', fixture('mini.json'), '--out', 'out', '--format', 'json'], cwd).code,
    ).toBe(0)
    const e = dualfit(
      ['export', '--results', 'out/results.json', '--backend', 'keras-style', '--out', 'k.onnx'],
      cwd,
    )
    expect(e.code).toBe(0)
    expect(e.stdout).toContain('refit/p1/s0')
    const p = dualfit(
      ['predict', '--model', 'k.onnx', '--x', '100', '--format', 'json', '--engine', 'wasm'],
      cwd,
    )
    const results = json(readFileSync(join(cwd, 'out/results.json'), 'utf8'))
    const refit = results.results[0].trials.find((x: { id: string }) => x.id === 'refit/p1/s0')
    expect(json(p.stdout).predictions[0].y[0]).toBeCloseTo(refit.predictions[0].y[0], 3)
    const tfjs = dualfit(
      ['export', '--results', 'out/results.json', '--to', 'tfjs', '--out', 'tfjs-model'],
      cwd,
    )
    expect(tfjs.code).toBe(0)
    const manifest = json(readFileSync(join(cwd, 'tfjs-model', 'model.json'), 'utf8'))
    expect(manifest.weightsManifest[0].paths).toEqual(['weights.bin'])
    // Dense(1): kernel and bias, float32.
    expect(readFileSync(join(cwd, 'tfjs-model', 'weights.bin')).length).toBe(8)
  })

  it('rejects a missing or corrupt model and bad inputs with one line', () => {
    const cwd = tempDir()
    writeFileSync(join(cwd, 'junk.onnx'), 'not a model')
    for (const [args, msg] of [
      [['predict', '--model', 'nope.onnx', '--x', '1'], 'nope.onnx'],
      [['predict', '--model', 'junk.onnx', '--x', '1'], 'junk.onnx'],
      [['export', '--results', 'nope.json', '--out', 'm.onnx'], "results file 'nope.json': cannot read"],
      [['predict', '--x', '1'], 'Missing required argument: model'],
    ] as const) {
      const r = dualfit([...args], cwd)
      expect(r.code).toBe(2)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toContain(msg)
    }
  })
})

describe('dualfit backends', () => {
  it('lists both backends with their engines and why an engine is unavailable', () => {
    const r = dualfit(['backends', '--format', 'json'])
    expect(r.code).toBe(0)
    const list = json(r.stdout)
    // The built-in two first; then any other installed backend (pytorch here), covered in new-user.test.ts.
    expect(list.map((b: { id: string }) => b.id).slice(0, 2)).toEqual(['keras-style', 'torch-style'])
    for (const b of list.slice(0, 2)) {
      const ids = b.engines.map((e: { id: string }) => e.id)
      expect(ids).toEqual(expect.arrayContaining(['cpu', 'wasm']))
      for (const e of b.engines) expect(e.detail.length).toBeGreaterThan(0)
      expect(
        b.engines.filter((e: { available: boolean; device: string }) => e.available && e.device === 'cpu')
          .length,
      ).toBeGreaterThan(0)
    }
  })
})

describe('dualfit compare --workers', () => {
  it('spreads trials over worker threads with identical results, timings aside', () => {
    const strip = (s: string) =>
      json(s).results.map((r: { trials: { timings: unknown }[]; totals: unknown; environment: unknown }) =>
        r.trials.map(({ timings: _t, ...rest }) => rest),
      )
    const one = dualfit(['compare', '--spec', fixture('mini.json'), '--format', 'json', '--workers', '1'])
    const two = dualfit(['compare', '--spec', fixture('mini.json'), '--format', 'json', '--workers', '2'])
    expect(two.code).toBe(0)
    expect(strip(two.stdout)).toEqual(strip(one.stdout))
    expect(json(two.stdout).results[0].environment.workers).toBe(2)
  })
})

describe('pnpm bench', () => {
  // On a machine with an NVIDIA GPU the engines may well be there; this checks the machines without one.
  it.skipIf(existsSync('/dev/nvidia0'))(
    'says which engines are missing for --device gpu, in one line, exit 2',
    () => {
      const r = spawnSync(
        process.execPath,
        [fileURLToPath(new URL('../benchmarks/dist/run.js', import.meta.url)), '--device', 'gpu'],
        {
          encoding: 'utf8',
        },
      )
      expect(r.status).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toMatch(
        /^pnpm bench: --device gpu: no engine available here \(torch-style webgpu \(gpu\): /,
      )
      expect(r.stderr).toContain('torch-style cuda (gpu): ')
      expect(r.stderr).toContain('keras-style webgpu (gpu): ')
    },
  )
})
