/**
 * Issue 23: `compare --queue` and `dualfit worker` on a real redis-server (Debian's, started here on
 * a free loopback port with a password, in a temp folder, and stopped after). The result set of a
 * queue run must equal a local run's, timings aside, whatever is killed on the way; a trial with bad
 * input fails the run at once; a run that ended leaves no key behind.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, dualfit, fixture, type Run, tempDir } from './cli.js'

const noRedis =
  spawnSync('redis-server', ['--version']).status === 0
    ? null
    : 'redis-server is missing: apt-get install redis-server'
const PASSWORD = 's3cret:/@'
const GRID = ['compare', '--spec', fixture('queue-grid.json'), '--backends', 'torch-style', '--quiet']

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })

async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** A redis-server of this test's own; `extra` adds options (TLS). */
class RedisServer {
  proc: ChildProcess | null = null
  readonly dir = tempDir()
  constructor(
    readonly port: number,
    private readonly extra: string[] = [],
  ) {}

  async start(): Promise<void> {
    // appendonly: what a restart keeps (docs/distributed.md asks the same of a production Redis).
    this.proc = spawn(
      'redis-server',
      [
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--requirepass',
        PASSWORD,
        '--appendonly',
        'yes',
        '--save',
        '',
      ].concat(this.extra.length ? this.extra : ['--port', String(this.port)]),
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let log = ''
    this.proc.stdout?.on('data', (d) => {
      log += d
    })
    await until('redis-server', () => log.includes('Ready to accept connections'), 10_000)
  }

  async stop(): Promise<void> {
    const p = this.proc
    if (!p || p.exitCode !== null) return
    await new Promise((r) => {
      p.on('exit', r)
      p.kill('SIGTERM')
    })
  }

  /** redis-cli's answer, one item a line. */
  cli(...args: string[]): string[] {
    const r = spawnSync(
      'redis-cli',
      ['-p', String(this.port), '-n', '3', '--no-auth-warning', '-a', PASSWORD, ...args],
      {
        encoding: 'utf8',
      },
    )
    return r.stdout.split('\n').filter(Boolean)
  }

  get url(): string {
    return `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${this.port}/3`
  }
}

const started: ChildProcess[] = []
interface Proc {
  child: ChildProcess
  stderr: () => string
  done: Promise<Run>
}
/** Where the processes make their temp folders: a SIGKILLed worker cannot remove its own. */
let scratch: string | undefined
function start(args: string[], cwd: string, env: Record<string, string> = {}): Proc {
  scratch ??= tempDir()
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, TMPDIR: scratch, ...env },
  })
  started.push(child)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d) => {
    stdout += d
  })
  child.stderr?.on('data', (d) => {
    stderr += d
  })
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
  return { child, stderr: () => stderr, done }
}
const worker = (url: string, cwd: string, env: Record<string, string> = {}) =>
  start(['worker', '--queue', url, '--backends', 'torch-style'], cwd, env)

/** The run's key prefix, from the coordinator's first line. */
const prefixOf = (stderr: string) => /keys (dualfit:run:[0-9a-f]+):\*/.exec(stderr)?.[1]

// biome-ignore lint/suspicious/noExplicitAny: results.json as parsed
type Json = any
/** results.json without what depends on time or on where it ran (trials' timings, totals' ms, environment). */
function resultSet(dir: string): Json {
  const doc = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'))
  for (const r of doc.results) {
    delete r.environment
    delete r.totals.trainMs
    delete r.totals.wallMs
    for (const t of r.trials) delete t.timings
  }
  return doc.results
}
const journalLines = (dir: string) => {
  const path = join(dir, 'journal.jsonl')
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').length - 2 : 0
}

describe('compare --queue refuses what it cannot do, before any connection', () => {
  it.each([
    [['--queue', 'http://host:6379'], "--queue 'http://host:6379/': expected redis://"],
    [['--queue', 'redis://127.0.0.1:1', '--workers', '2'], '--workers: not with --queue'],
    [['--queue', 'redis://127.0.0.1:1', '--shard', '0/2', '--out', 'o'], '--shard: not with --queue'],
  ])('%j', (args, message) => {
    const r = dualfit([...GRID, ...args])
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain(message)
  })

  it('an unreachable Redis is one line naming it, password hidden', () => {
    const r = dualfit([...GRID, '--queue', 'redis://:pw@127.0.0.1:1'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(
      /^dualfit: --queue 'redis:\/\/:\*\*\*@127\.0\.0\.1:1': cannot reach Redis \(.+\)\n$/,
    )
  })
})

describe.skipIf(noRedis)(
  `a queue run on a real redis-server${noRedis ? ` (skipped: ${noRedis})` : ''}`,
  () => {
    let redis: RedisServer
    let local: Json
    const cwd = tempDir()

    beforeAll(async () => {
      redis = new RedisServer(await freePort())
      await redis.start()
      expect(dualfit([...GRID, '--out', 'local'], cwd).code).toBe(0)
      local = resultSet(join(cwd, 'local'))
      expect(local[0].trials).toHaveLength(40)
    })
    afterAll(async () => {
      for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
      await redis?.stop()
    })

    it('3 workers, one SIGKILLed mid-trial and another started later: the local result set, no key left', async () => {
      const workers = [0, 1, 2].map(() => worker(redis.url, cwd))
      const run = start([...GRID, '--queue', redis.url, '--out', 'queued'], cwd)
      await until('the run id', () => prefixOf(run.stderr()) !== undefined)
      const prefix = prefixOf(run.stderr()) as string
      // Each worker takes one trial at a time: with three active, the one killed is mid-trial.
      await until('3 trials in flight', () => Number(redis.cli('LLEN', `${prefix}:part0:active`)[0]) >= 3)
      workers[0]?.child.kill('SIGKILL')
      worker(redis.url, cwd)
      const r = await run.done
      expect(r.stderr).not.toContain('internal error')
      expect(r.code).toBe(0)
      expect(resultSet(join(cwd, 'queued'))).toEqual(local)
      expect(redis.cli('--scan', '--pattern', 'dualfit:*')).toEqual([])
      expect(redis.cli('DBSIZE')).toEqual(['0'])
    })

    it('the coordinator SIGKILLed, Redis restarted, then --resume: the same result set, no key left', async () => {
      const run = start([...GRID, '--queue', redis.url, '--out', 'cut'], cwd)
      const out = join(cwd, 'cut')
      await until('10 trials journaled', () => journalLines(out) >= 10)
      // The workers and the coordinator reconnect on their own.
      await redis.stop()
      await redis.start()
      await until('15 trials journaled after the restart', () => journalLines(out) >= 15)
      run.child.kill('SIGKILL')
      await run.done
      const resumed = dualfit([...GRID, '--queue', redis.url, '--out', 'cut', '--resume'], cwd)
      expect(resumed.code).toBe(0)
      expect(resumed.stderr).toMatch(/resumed: \d+ of 40 trial\(s\)/)
      expect(resultSet(out)).toEqual(local)
      expect(redis.cli('--scan', '--pattern', 'dualfit:*')).toEqual([])
    })

    it('a trial with bad input fails the run in one line, without retries, and leaves no key', () => {
      const spec = JSON.parse(readFileSync(fixture('queue-grid.json'), 'utf8'))
      // Valid as a spec; only the early-stopping trial finds that 90% of 7 rows leaves none to train on.
      spec.earlyStopping.validationSplit = 0.9
      writeFileSync(join(cwd, 'bad.json'), JSON.stringify(spec))
      // Its own worker besides the earlier tests' ones, so that the test also runs alone (-t).
      worker(redis.url, cwd)
      const local = dualfit(['compare', '--spec', 'bad.json', '--backends', 'torch-style', '--quiet'], cwd)
      const r = dualfit(
        ['compare', '--spec', 'bad.json', '--backends', 'torch-style', '--quiet', '--queue', redis.url],
        cwd,
      )
      expect(r.code, r.stderr).toBe(2)
      const lines = r.stderr.trim().split('\n')
      expect(lines).toHaveLength(2)
      expect(lines[1]).toContain(local.stderr.trim())
      expect(lines[1]).toMatch(/\(worker [^)]+\)$/)
      expect(redis.cli('--scan', '--pattern', 'dualfit:*')).toEqual([])
    })

    it('a worker per backend: both parts in flight at once, and the local result set', async () => {
      const spec = JSON.parse(readFileSync(fixture('queue-grid.json'), 'utf8'))
      spec.grid['optimizer.lr'] = [0.1, 0.01]
      writeFileSync(join(cwd, 'pair.json'), JSON.stringify(spec))
      const args = ['compare', '--spec', 'pair.json', '--backends', 'keras-style,torch-style', '--quiet']
      expect(dualfit([...args, '--out', 'pair-local'], cwd).code).toBe(0)
      start(['worker', '--queue', redis.url, '--backends', 'keras-style'], cwd)
      worker(redis.url, cwd)
      const run = start([...args, '--queue', redis.url, '--out', 'pair-queued'], cwd)
      await until('the run id', () => prefixOf(run.stderr()) !== undefined)
      const prefix = prefixOf(run.stderr()) as string
      const active = (part: number) => Number(redis.cli('LLEN', `${prefix}:part${part}:active`)[0])
      // keras-style's part is the first: run one after the other, torch-style's would wait for it.
      await until('trials of both parts in flight', () => active(0) > 0 && active(1) > 0)
      const r = await run.done
      expect(r.code, r.stderr).toBe(0)
      expect(resultSet(join(cwd, 'pair-queued'))).toEqual(resultSet(join(cwd, 'pair-local')))
    })

    it('rediss:// (TLS) with a password works end to end', async () => {
      const dir = tempDir()
      const tls = ['-keyout', 'key.pem', '-out', 'cert.pem']
      const made = spawnSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          ...tls,
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { cwd: dir },
      )
      expect(made.status).toBe(0)
      const port = await freePort()
      const server = new RedisServer(port, [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-auth-clients',
        'no',
        '--tls-cert-file',
        join(dir, 'cert.pem'),
        '--tls-key-file',
        join(dir, 'key.pem'),
        '--tls-ca-cert-file',
        join(dir, 'cert.pem'),
      ])
      await server.start()
      try {
        const url = `rediss://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`
        const env = { NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') }
        const w = worker(url, dir, env)
        const spec = [
          'compare',
          '--spec',
          fixture('mini.json'),
          '--backends',
          'torch-style',
          '--quiet',
          '--format',
          'json',
        ]
        const plain = dualfit(spec, dir)
        const queued = dualfit([...spec, '--queue', url], dir, env)
        expect(queued.code).toBe(0)
        const trials = (s: string) => JSON.parse(s).results[0].trials.map(({ timings: _t, ...t }: Json) => t)
        expect(trials(queued.stdout)).toEqual(trials(plain.stdout))
        w.child.kill('SIGTERM')
        expect((await w.done).stdout).toMatch(/^worker stopped: \d+ trial\(s\) run\n$/)
      } finally {
        await server.stop()
      }
    })
  },
)
