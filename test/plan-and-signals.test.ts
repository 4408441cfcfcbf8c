import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dualfit, fixture, type Run, signalWhen, tempDir, within5s } from './cli.js'

const mini = () => JSON.parse(readFileSync(fixture('mini.json'), 'utf8'))

/** One line on stderr containing `message`, exit 2. */
function expectRefused(r: Run, message: string | RegExp): void {
  if (typeof message === 'string') expect(r.stderr).toContain(message)
  else expect(r.stderr).toMatch(message)
  expect(r.stderr).not.toContain('internal error')
  expect(r.stderr).not.toMatch(/heap out of memory|at .*\(node:/)
  expect(r.code).toBe(2)
}

/** A spec file in a scratch folder: mini with these fields. */
function specWith(fields: Record<string, unknown>, cwd = tempDir()): string {
  const path = join(cwd, 'spec.json')
  writeFileSync(path, JSON.stringify({ ...mini(), ...fields }))
  return path
}

describe('the plan guard answers before building anything', () => {
  it('refuses a billion generated rows at once instead of allocating them', () => {
    const spec = specWith({ dataset: { builtin: 'sin', rows: 1e9 }, grid: {}, cv: null, epochs: 10 })
    const r = within5s(['compare', '--spec', spec])
    // A machine with room for the rows refuses the plan's size instead.
    expectRefused(r, /1,000,000,000 rows of 2 float32 values take 7\.5 GB|over the limits .*; add --yes/)
  })

  it('refuses rows that fit no memory as float32 even with --yes, train and compare alike', () => {
    const spec = specWith({ dataset: { builtin: 'sin', rows: 1e12 }, grid: {}, cv: null })
    for (const command of ['compare', 'train']) {
      const r = within5s([command, '--spec', spec, '--yes'])
      expectRefused(
        r,
        "1,000,000,000,000 rows of 2 float32 values take 7.3 TB, and training holds about 4 copies: more than fits in this machine's",
      )
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
    }
  })

  it('asks for --yes before generating 1e8 rows for a long plan (train)', () => {
    const spec = specWith({ dataset: { builtin: 'sin', rows: 1e8 }, grid: {}, cv: null, epochs: 100 })
    const r = within5s(['train', '--spec', spec])
    expectRefused(
      r,
      /mini on torch-style: 1 trials and [\d,]+ optimizer steps are over the limits .*; add --yes to start it/,
    )
  })

  it('refuses --seeds 1e9 in one line, before an array of seeds is made', () => {
    const r = within5s(['compare', '--spec', fixture('mini.json'), '--seeds', '1e9', '--yes'])
    expectRefused(
      r,
      "--seeds: expected at most 1,000,000 (each seed is a trial, and no run can hold more), got '1e9'",
    )
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('refuses a 15,002-point grid before expanding it', () => {
    const lr = Array.from({ length: 15_002 }, (_, i) => (i + 1) / 1e5)
    const spec = specWith({ grid: { 'optimizer.lr': lr } })
    const r = within5s(['compare', '--spec', spec])
    expectRefused(r, /90,016 trials and [\d,]+ optimizer steps are over the limits .*; add --yes to start it/)
  })
})

/** Starts a run that journals into `out`, and sends `signal` once its first trials are under way. */
async function interruptMidRun(
  args: string[],
  out: string,
  signal: NodeJS.Signals,
): Promise<Run & { ms: number }> {
  let seen = 0
  // The journal opens just before the first trial starts.
  const ready = () => {
    if (!seen && existsSync(join(out, 'journal.jsonl'))) seen = Date.now()
    return seen > 0 && Date.now() - seen >= 500
  }
  const r = await signalWhen([...args, '--out', out], process.cwd(), ready, signal)
  return { ...r, ms: r.sentAt ? Date.now() - r.sentAt : Number.NaN }
}

describe('Ctrl-C with worker threads ends like one worker', () => {
  // Long trials: a worker stopped only between trials would take far longer than 5 s.
  const run = [
    'compare',
    '--spec',
    fixture('sin-mlp.json'),
    '--set',
    'epochs=5000',
    '--seeds',
    '4',
    '--quiet',
  ]
  const expectInterrupted = (r: Run & { ms: number }) => {
    expect(r.stderr).not.toContain('terminate called')
    expect(r.stderr).not.toContain('Napi::Error')
    expect(r.code).toBe(130)
    // The plan line comes first: the run is long enough to announce itself.
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('dualfit: plan: '))
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(
      /^dualfit: \d+ finished trial\(s\) kept in .*journal\.jsonl; --resume continues the run$/,
    )
    expect(lines[1]).toBe('dualfit: interrupted; no result files were written')
    expect(r.stdout).toBe('')
    expect(r.ms).toBeLessThan(5000)
  }

  it('one worker: the reference', async () => {
    expectInterrupted(await interruptMidRun(run, join(tempDir(), 'out'), 'SIGINT'))
  })

  it('--workers 2, SIGINT mid-run, 8 tries in a row: exit 130 every time, no native abort', async () => {
    for (let i = 0; i < 8; i++) {
      expectInterrupted(await interruptMidRun([...run, '--workers', '2'], join(tempDir(), 'out'), 'SIGINT'))
    }
  })

  it('--workers 2 and SIGTERM: the same', async () => {
    expectInterrupted(await interruptMidRun([...run, '--workers', '2'], join(tempDir(), 'out'), 'SIGTERM'))
  })
})

describe('parity', () => {
  it('calls two runs that diverged alike diverged, in text and JSON, exit 1', () => {
    const spec = specWith({
      optimizer: { name: 'sgd', lr: 1e30 },
      grid: {},
      cv: null,
      earlyStopping: null,
      epochs: 5,
      batchSize: 'full',
      init: 'torch',
    })
    const args = ['parity', '--spec', spec, '--backends', 'torch-style,torch-style']
    const text = dualfit(args)
    expect(text.code).toBe(1)
    expect(text.stdout).toContain('parity ✗ diverged (torch-style:cpu, torch-style:cpu)')
    expect(text.stdout).not.toContain('✓')
    const json = dualfit([...args, '--format', 'json'])
    expect(json.code).toBe(1)
    const report = JSON.parse(json.stdout)
    expect(report.ok).toBe(false)
    expect(report.reports[0]).toMatchObject({ ok: false, verdict: 'diverged' })
    expect(report.reports[0].diverged).toHaveLength(2)
  })
})

describe('what is not a backend package', () => {
  it.each(['fs', 'child_process', 'data.csv', './data.csv'])('--backends %s: one line, exit 2', (name) => {
    const cwd = tempDir()
    writeFileSync(join(cwd, 'data.csv'), 'x,y\n1,2\n')
    const r = dualfit(['compare', '--spec', fixture('mini.json'), '--backends', name], cwd)
    expectRefused(r, `backend '${name}': `)
    expect(r.stderr).toContain(
      'a backend is an installed package, or a JavaScript module, that exports createBackend()',
    )
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
  })
})

describe('arguments', () => {
  it('refuses a repeated --spec where one is expected', () => {
    const r = dualfit(['train', '--spec', fixture('mini.json'), '--spec', fixture('sin-mlp.json')])
    expectRefused(r, '--spec: given 2 times, expected once')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('gives --shard -1/3 the --shard message', () => {
    const r = dualfit(['compare', '--spec', fixture('mini.json'), '--shard', '-1/3', '--out', 'o'])
    expectRefused(r, "--shard: expected i/n with 0 <= i < n, e.g. 0/3, got '-1/3'")
  })

  it('reads predict --x -1,-2 as a row of two negative numbers', () => {
    const cwd = tempDir()
    const spec = specWith(
      {
        dataset: {
          inline: {
            x: [
              [1, 2],
              [2, 1],
              [3, 5],
              [4, 4],
            ],
            y: [3, 3, 8, 8],
          },
        },
        grid: {},
        cv: null,
        earlyStopping: null,
        epochs: 3,
        report: { predict: [] },
      },
      cwd,
    )
    expect(dualfit(['train', '--spec', spec, '--save', 'm.onnx'], cwd).code).toBe(0)
    const r = dualfit(['predict', '--model', 'm.onnx', '--x', '-1,-2', '--format', 'json'], cwd)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).predictions[0].x).toEqual([-1, -2])
  })
})

describe('no escape sequence reaches the terminal', () => {
  const ESC = '\u001b'
  it('export and report success lines, and error lines, are stripped of user escapes', () => {
    const cwd = tempDir()
    const trained = dualfit(
      ['train', '--spec', fixture('mini.json'), '--set', 'epochs=3', '--format', 'json'],
      cwd,
    )
    expect(trained.code).toBe(0)
    writeFileSync(join(cwd, 'r.json'), trained.stdout)
    const exported = dualfit(['export', '--results', 'r.json', '--out', `${ESC}[31mred.onnx`], cwd)
    expect(exported.code).toBe(0)
    expect(exported.stdout).toMatch(/^exported .* to red\.onnx \(\d+ bytes\)\n$/)
    const report = dualfit(['report', 'r.json', '--out', `${ESC}]0;title${ESC}\\rep`], cwd)
    expect(report.code).toBe(0)
    expect(report.stdout).toMatch(/^wrote rep\/report\.html: /)
    const bad = dualfit(['train', '--spec', fixture('mini.json'), '--backend', `${ESC}[2Jwipe`], cwd)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("backend '")
    for (const r of [exported, report, bad]) expect(r.stdout + r.stderr).not.toContain(ESC)
  })
})
