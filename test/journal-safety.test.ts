import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dualfit, fixture, type Run, signalWhen, tempDir } from './cli.js'

/** One line on stderr containing `message`, exit 2. */
function expectRefused(r: Run, message: string): void {
  expect(r.stderr).toContain(message)
  expect(r.stderr.trim().split('\n')).toHaveLength(1)
  expect(r.code).toBe(2)
}

const lines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').length - 1 : 0)

/** A small CSV of y = 2x + 1 and a spec that runs on it: 2 grid points x 3 folds, then a refit. */
function project(cwd: string, rows = 30): string[] {
  const csv = ['x,y', ...Array.from({ length: rows }, (_, i) => `${i / rows},${(2 * i) / rows + 1}`)]
  writeFileSync(join(cwd, 'd.csv'), `${csv.join('\n')}\n`)
  const spec = {
    name: 'line',
    dataset: { file: 'd.csv', x: 'x', y: 'y' },
    model: { layers: [{ units: 1, activation: 'linear' }] },
    optimizer: { name: 'adam', lr: 0.1 },
    epochs: 20,
    batchSize: 4,
    seeds: [0],
    grid: { 'optimizer.lr': [0.01, 0.1] },
    cv: { folds: 3 },
    refit: true,
  }
  writeFileSync(join(cwd, 'spec.json'), JSON.stringify(spec))
  return ['compare', '--spec', 'spec.json', '--quiet', '--backends', 'torch-style']
}

/** Rewrites line `n` (1-based) of a journal with `edit` applied to its parsed entry. */
function editLine(path: string, n: number, edit: (e: { trial: Record<string, unknown> }) => void): void {
  const all = readFileSync(path, 'utf8').split('\n')
  const entry = JSON.parse(all[n - 1] as string)
  edit(entry)
  all[n - 1] = JSON.stringify(entry)
  writeFileSync(path, all.join('\n'))
}

const kernel = (e: { trial: Record<string, unknown> }, value: unknown) => {
  const [first] = e.trial.weights as { kernel: unknown }[]
  if (first) first.kernel = value
}

describe('a rerun into a finished folder', () => {
  it('keeps the old journal and results until the new set is complete; --resume finishes it', async () => {
    const cwd = tempDir()
    const run = [
      'compare',
      '--spec',
      fixture('mini.json'),
      '--quiet',
      '--backends',
      'torch-style',
      '--set',
      'epochs=400',
    ]
    expect(dualfit([...run, '--out', 'out'], cwd).code).toBe(0)
    const journal = readFileSync(join(cwd, 'out', 'journal.jsonl'))
    const results = readFileSync(join(cwd, 'out', 'results.json'))
    const next = join(cwd, 'out', 'journal.next.jsonl')
    // Killed once the rerun has journaled two trials.
    const killed = await signalWhen([...run, '--out', 'out'], cwd, () => lines(next) >= 3, 'SIGKILL')
    expect(killed.code).toBe(null)
    expect(readFileSync(join(cwd, 'out', 'journal.jsonl')).equals(journal)).toBe(true)
    expect(readFileSync(join(cwd, 'out', 'results.json')).equals(results)).toBe(true)
    const partial = lines(next)
    expect(partial).toBeGreaterThanOrEqual(3)
    // Without --resume the partial run is not overwritten either.
    expectRefused(dualfit([...run, '--out', 'out'], cwd), 'holds the journal of an unfinished run')
    const resumed = dualfit([...run, '--out', 'out', '--resume'], cwd)
    expect(resumed.code).toBe(0)
    expect(existsSync(next)).toBe(false)
    // The new journal took the old one's place, holding the partial run's trials and the rest.
    const now = readFileSync(join(cwd, 'out', 'journal.jsonl'), 'utf8')
    expect(now).not.toBe(journal.toString())
    expect(now.split('\n').length - 1).toBe(journal.toString().split('\n').length - 1)
    expect(JSON.parse(readFileSync(join(cwd, 'out', 'results.json'), 'utf8')).kind).toBe('dualfit.compare')
  }, 240_000)
})

describe('--resume and merge refuse changed inputs', () => {
  it('--resume names the data file that changed, or the spec', () => {
    const cwd = tempDir()
    const run = project(cwd)
    expect(dualfit([...run, '--out', 's0', '--shard', '0/2'], cwd).code).toBe(0)
    writeFileSync(
      join(cwd, 'd.csv'),
      readFileSync(join(cwd, 'd.csv'), 'utf8').replace('\n0,1\n', '\n0,1.5\n'),
    )
    const r = dualfit([...run, '--out', 's0', '--shard', '0/2', '--resume'], cwd)
    expectRefused(r, "--resume: the data file 'd.csv' changed since the journal was written (sha256 ")
    const edited = dualfit([...run, '--out', 's0', '--shard', '0/2', '--resume', '--set', 'epochs=21'], cwd)
    expectRefused(edited, "--resume: the spec in 'spec.json' (the file, or --set/--seeds/--data) changed")
  })

  it('merge refuses shards run on different data, and data changed since the shards ran', () => {
    const cwd = tempDir()
    const run = project(cwd)
    expect(dualfit([...run, '--out', 's0', '--shard', '0/2'], cwd).code).toBe(0)
    const before = readFileSync(join(cwd, 'd.csv'), 'utf8')
    writeFileSync(join(cwd, 'd.csv'), before.replace('\n0,1\n', '\n0,1.5\n'))
    expect(dualfit([...run, '--out', 's1', '--shard', '1/2'], cwd).code).toBe(0)
    expectRefused(
      dualfit(['merge', 's0', 's1', '--out', 'all', '--quiet'], cwd),
      "merge: 's1' is a shard of another run: the data file 'd.csv' changed between 's0' and 's1' (sha256 ",
    )
    expectRefused(
      dualfit(['merge', 's0', '--out', 'all', '--quiet'], cwd),
      "merge: the data file 'd.csv' changed since the shards ran",
    )
    expect(existsSync(join(cwd, 'all', 'results.json'))).toBe(false)
  })
})

describe('every journal line is checked before it is used', () => {
  it.each([
    [
      'a kernel that is not a list',
      (e: { trial: Record<string, unknown> }) => {
        kernel(e, 'oops')
      },
      'journal.jsonl: line 2: trial: weights[0].kernel: expected an array',
    ],
    [
      'a kernel of lists',
      (e: { trial: Record<string, unknown> }) => {
        kernel(e, [[999]])
      },
      'journal.jsonl: line 2: trial: weights[0].kernel[0]: expected a number',
    ],
    [
      'a non-finite score of a trial that did not diverge',
      (e: { trial: Record<string, unknown> }) => {
        e.trial.testMse = 'NaN'
      },
      'journal.jsonl: line 2: trial: testMse: expected a finite number >= 0',
    ],
    [
      'a trial the plan does not hold',
      (e: { trial: Record<string, unknown> }) => {
        e.trial.id = 'search/p7/f0/s0'
      },
      "journal.jsonl: line 2: trial 'search/p7/f0/s0' is not in the plan of line",
    ],
    [
      'a trial moved to another fold',
      (e: { trial: Record<string, unknown> }) => {
        e.trial.fold = 2
      },
      "journal.jsonl: line 2: trial 'search/p0/f0/s0': its stage, point, fold or seed is not the plan's",
    ],
  ])('--resume and merge refuse %s, naming the file and line', (_what, edit, message) => {
    const cwd = tempDir()
    const run = project(cwd)
    expect(dualfit([...run, '--out', 's0', '--shard', '0/2'], cwd).code).toBe(0)
    expect(dualfit([...run, '--out', 's1', '--shard', '1/2'], cwd).code).toBe(0)
    editLine(join(cwd, 's0', 'journal.jsonl'), 2, edit)
    expectRefused(dualfit([...run, '--out', 's0', '--shard', '0/2', '--resume'], cwd), `s0/${message}`)
    expectRefused(dualfit(['merge', 's0', 's1', '--out', 'all', '--quiet'], cwd), `s0/${message}`)
    expect(existsSync(join(cwd, 'all', 'results.json'))).toBe(false)
  })
})

describe('a journal with no complete header', () => {
  it.each([
    ['empty', ''],
    ['cut inside the header', '{"kind":"dualfit.jour'],
  ])('(%s) holds no finished trial: the run starts over, with or without --resume', (_what, text) => {
    const cwd = tempDir()
    const run = project(cwd)
    for (const resume of [[], ['--resume']]) {
      const out = join(cwd, `o${resume.length}`)
      const first = dualfit([...run, '--out', out, '--shard', '0/2'], cwd)
      expect(first.code).toBe(0)
      writeFileSync(join(out, 'journal.jsonl'), text)
      const again = dualfit([...run, '--out', out, '--shard', '0/2', ...resume], cwd)
      expect(again.stderr).not.toContain('not a dualfit journal')
      expect(again.code).toBe(0)
      // A whole journal again: the header and the shard's three trials.
      expect(lines(join(out, 'journal.jsonl'))).toBe(4)
    }
  })
})

describe('a journal.jsonl dualfit did not write', () => {
  it('is refused, never overwritten, even with no complete line', () => {
    const cwd = tempDir()
    const run = project(cwd)
    mkdirSync(join(cwd, 'o'))
    for (const text of ['my notes', 'my notes\n']) {
      writeFileSync(join(cwd, 'o', 'journal.jsonl'), text)
      expectRefused(dualfit([...run, '--out', 'o', '--shard', '0/2'], cwd), 'not a dualfit journal')
      expect(readFileSync(join(cwd, 'o', 'journal.jsonl'), 'utf8')).toBe(text)
    }
  })
})

describe('merge with shards missing', () => {
  it('says which shards and how many trials it runs itself, then finishes the run', () => {
    const cwd = tempDir()
    const run = project(cwd)
    expect(dualfit([...run, '--out', 's0', '--shard', '0/3'], cwd).code).toBe(0)
    const r = dualfit(['merge', 's0', '--out', 'all', '--quiet'], cwd)
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('merge: shard(s) 1/3, 2/3 not given: their 4 trial(s) run here')
    expect(existsSync(join(cwd, 'all', 'results.json'))).toBe(true)
  })

  it('an interrupted merge advises running the same merge again, which continues it', async () => {
    const cwd = tempDir()
    const run = [...project(cwd), '--set', 'epochs=3000']
    expect(dualfit([...run, '--out', 's0', '--shard', '0/3'], cwd).code).toBe(0)
    const merge = ['merge', 's0', '--out', 'all', '--quiet']
    const journal = join(cwd, 'all', 'journal.jsonl')
    // The header, the shard's two trials, and one the merge ran.
    const first = await signalWhen(merge, cwd, () => lines(journal) >= 4, 'SIGINT')
    expect(first.code).toBe(130)
    expect(first.stderr).toContain('run the same dualfit merge again to continue')
    expect(first.stderr).not.toContain('--resume')
    const kept = lines(journal)
    const again = await signalWhen(merge, cwd, () => lines(journal) > kept, 'SIGINT')
    expect(again.code).toBe(130)
    // The trials the first merge finished were kept, not run again.
    expect(again.stderr).toMatch(/(\d+) finished trial\(s\) kept/)
    expect(Number(/(\d+) finished trial\(s\) kept/.exec(again.stderr)?.[1])).toBeGreaterThan(kept - 1)
  }, 240_000)
})
