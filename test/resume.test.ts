import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BIN, dualfit, fixture, tempDir } from './cli.js'

interface Results {
  results: { backend: { id: string }; trials: { id: string; timings?: unknown }[] }[]
}
const withoutTimings = (r: Results) => r.results.map((x) => x.trials.map(({ timings: _t, ...rest }) => rest))
const resultsIn = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results

/** Starts the CLI and kills it with `signal` after `afterMs`; resolves with the exit and the time it took after the signal. */
function killAfter(args: string[], cwd: string, afterMs: number, signal: NodeJS.Signals) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd })
    let stderr = ''
    child.stderr.on('data', (d) => {
      stderr += d
    })
    const timer = setTimeout(() => child.kill(signal), afterMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr })
    })
  })
}

const MINI = ['compare', '--spec', fixture('mini.json'), '--quiet', '--format', 'json']
/** No temp folder of an interrupted write is ever left beside the output. */
const leftovers = (cwd: string) => readdirSync(cwd).filter((f) => f.startsWith('.'))

describe('a killed compare --out resumes to the same results', () => {
  it('SIGKILL at several points, --resume each time, equals an uninterrupted run (timings aside)', async () => {
    const cwd = tempDir()
    expect(dualfit([...MINI, '--out', 'whole'], cwd).code).toBe(0)
    // Points spread over start-up, the search and the final runs (a fixed list: the test is repeatable).
    for (const ms of [1200, 2600, 4000]) {
      // A kill during start-up leaves no journal yet: then the next run starts afresh.
      const resume = existsSync(join(cwd, 'cut', 'journal.jsonl')) ? ['--resume'] : []
      const r = await killAfter([...MINI, '--out', 'cut', ...resume], cwd, ms, 'SIGKILL')
      // Killed, or (a late point on a resumed run) already done.
      expect([null, 0]).toContain(r.code)
      if (r.code === null) expect(existsSync(join(cwd, 'cut', 'results.json'))).toBe(false)
    }
    const done = dualfit([...MINI, '--out', 'cut', '--resume'], cwd)
    expect(done.code).toBe(0)
    expect(withoutTimings(resultsIn(join(cwd, 'cut')))).toEqual(withoutTimings(resultsIn(join(cwd, 'whole'))))
    expect(leftovers(cwd)).toEqual([])
  }, 240_000)

  it('refuses to resume another spec, and to overwrite an unfinished run without --resume', async () => {
    const cwd = tempDir()
    // Long enough never to finish before the kill: the journal stays unfinished.
    await killAfter([...MINI, '--set', 'epochs=200000', '--out', 'cut'], cwd, 3000, 'SIGKILL')
    const other = dualfit(['compare', '--spec', fixture('sin-mlp.json'), '--out', 'cut', '--resume'], cwd)
    expect(other.code).toBe(2)
    expect(other.stderr).toMatch(
      /^dualfit: --resume: 'cut\/journal.jsonl' is another run's journal: it holds mini/,
    )
    const fresh = dualfit([...MINI, '--set', 'epochs=200000', '--out', 'cut'], cwd)
    expect(fresh.code).toBe(2)
    expect(fresh.stderr).toContain("--out 'cut': holds the journal of an unfinished run; add --resume")
  }, 120_000)
})

describe('Ctrl-C inside a trial', () => {
  // The one trial runs 1e6 (or 2e5) epochs, minutes of work: exiting within the test's timeout
  // at all means it stopped mid-trial, which is what the journal and the exit code then show.
  it('train stops mid-trial on SIGINT, exit 130, no --save file', async () => {
    const cwd = tempDir()
    const args = ['train', '--spec', fixture('mini.json'), '--set', 'epochs=1000000', '--save', 'model.onnx']
    const r = await killAfter(args, cwd, 3000, 'SIGINT')
    expect(r.code).toBe(130)
    expect(r.stderr.trim().split('\n').at(-1)).toBe('dualfit: interrupted; no result files were written')
    expect(readdirSync(cwd)).toEqual([])
  }, 60_000)

  it('compare --out stops mid-trial, keeps the finished trials in the journal, leaves no result file', async () => {
    const cwd = tempDir()
    const r = await killAfter([...MINI, '--set', 'epochs=200000', '--out', 'out'], cwd, 3000, 'SIGTERM')
    expect(r.code).toBe(130)
    expect(r.stderr).toMatch(/finished trial\(s\) kept in out\/journal.jsonl; --resume continues the run/)
    expect(readdirSync(join(cwd, 'out'))).toEqual(['journal.jsonl'])
    expect(leftovers(cwd)).toEqual([])
  }, 60_000)
})

describe('shards', () => {
  it('a 12-trial grid in 3 shards, merged, equals the unsharded run', () => {
    const cwd = tempDir()
    const grid = ['--set', 'grid={"optimizer.lr":[0.001,0.01,0.1,0.5]}', '--set', 'earlyStopping=null']
    expect(dualfit([...MINI, ...grid, '--out', 'whole'], cwd).code).toBe(0)
    for (const i of [0, 1, 2]) {
      const s = dualfit([...MINI, ...grid, '--out', `s${i}`, '--shard', `${i}/3`], cwd)
      expect(s.code).toBe(0)
      expect(s.stdout).toMatch(new RegExp(`^shard ${i}/3: 8 trial\\(s\\) run`))
    }
    const m = dualfit(['merge', 's0', 's1', 's2', '--out', 'all', '--quiet', '--format', 'json'], cwd)
    expect(m.stderr).toBe('')
    expect(m.code).toBe(0)
    const whole = resultsIn(join(cwd, 'whole'))
    expect(whole.results[0]?.trials.filter((t) => t.id.startsWith('search/'))).toHaveLength(12)
    expect(withoutTimings(resultsIn(join(cwd, 'all')))).toEqual(withoutTimings(whole))
  }, 180_000)

  it('refuses shards of different specs or overlapping trials', () => {
    const cwd = tempDir()
    for (const i of [0, 1]) dualfit([...MINI, '--out', `s${i}`, '--shard', `${i}/2`], cwd)
    dualfit([...MINI, '--out', 'again', '--shard', '0/2'], cwd)
    dualfit([...MINI, '--set', 'epochs=5', '--out', 'other', '--shard', '1/2'], cwd)
    const twice = dualfit(['merge', 's0', 'again', '--out', 'all'], cwd)
    expect(twice.code).toBe(2)
    expect(twice.stderr).toContain("merge: 'again' and 's0' are both shard 0/2")
    const other = dualfit(['merge', 's0', 'other', '--out', 'all'], cwd)
    expect(other.code).toBe(2)
    expect(other.stderr).toContain("merge: 'other' is a shard of another run")
    expect(existsSync(join(cwd, 'all'))).toBe(false)
  }, 180_000)
})

describe('outputs and runaway work', () => {
  it('checks --out before training: a file, a path through a file', () => {
    const cwd = tempDir()
    writeFileSync(join(cwd, 'file'), 'x')
    for (const [out, message] of [
      ['file', "--out 'file': exists and is not a folder"],
      ['file/sub', "--out 'file/sub'"],
    ] as const) {
      const r = dualfit([...MINI, '--out', out], cwd)
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(message)
      expect(r.stderr).not.toContain('plan:')
    }
  })

  it('checks train --save before training: a folder is refused at once, nothing written', () => {
    const cwd = tempDir()
    mkdirSync(join(cwd, 'taken'))
    const r = dualfit(['train', '--spec', fixture('mini.json'), '--save', 'taken'], cwd)
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toBe("dualfit: --save 'taken': is a folder, expected a file name")
    expect(readdirSync(cwd)).toEqual(['taken'])
  })

  it('asks for --yes before runaway work, saying what it would do', () => {
    const r = dualfit([...MINI, '--set', 'epochs=1000000000'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(
      /plan: 1 spec\(s\) x 2 backend\(s\): 16 trial\(s\), at most [\d,]+ optimizer steps/,
    )
    expect(r.stderr).toMatch(/are over the limits .*; add --yes to start it/)
  })
})
