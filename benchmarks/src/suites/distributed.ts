/**
 * distributed: the seed-keras grid through `compare --queue` on a redis-server of its own (Debian's,
 * on a free loopback port), drained by 1 and then 2 local `dualfit worker` processes, against the
 * same compare in-process: the 1-vs-2-worker speedup, and the queue's own overhead per trial
 * ((1-worker wall - in-process wall) / trials). Results are compared timings aside. No PyTorch
 * counterpart.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { formatValue, withRatio } from '../ratio.js'
import type { BenchRow } from '../types.js'
import type { SuiteContext } from './context.js'
import { speedup } from './parallel.js'
import { protocolEpochs } from './protocols.js'

const NO_PYTORCH = 'no PyTorch counterpart: dualfit in-process vs through the queue'

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })

/** Starts a process; resolves once `ready` is in its output (stdout or stderr). */
function started(
  cmd: string,
  args: string[],
  ready: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
    let text = ''
    const look = (d: Buffer) => {
      text += d
      if (text.includes(ready)) resolve(p)
    }
    p.stdout?.on('data', look)
    p.stderr?.on('data', look)
    p.on('error', reject)
    p.on('exit', (code) =>
      reject(new Error(`${cmd} exited (${code}) before it was ready: ${text.trim().slice(-300)}`)),
    )
  })
}

/** Runs the CLI to its end: wall ms, and results.json's trials without their timings. */
function timed(bin: string, args: string[]): Promise<{ ms: number; trials: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const p = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    p.stdout.on('data', (d) => {
      out += d
    })
    p.stderr.on('data', (d) => {
      err += d
    })
    p.on('close', (code) => {
      const ms = performance.now() - t0
      if (code !== 0)
        return reject(new Error(`dualfit ${args[0]} exited ${code}: ${err.trim().split('\n').pop()}`))
      const doc = JSON.parse(out) as { results: { trials: { timings?: unknown }[] }[] }
      const trials = JSON.stringify(doc.results.map((r) => r.trials.map(({ timings: _t, ...t }) => t)))
      resolve({ ms, trials })
    })
  })
}

export async function distributedSuite(ctx: SuiteContext): Promise<BenchRow[]> {
  const e = ctx.engines.find((x) => x.backend === 'keras-style' && x.default) ?? ctx.engines[0]
  if (!e) return []
  const bin = join(ctx.root, 'packages/cli/dist/bin.js')
  const epochs = protocolEpochs(ctx.opts.quick)['seed-keras'] as number
  const spec = join(ctx.root, 'experiments/seed-keras.json')
  const compare = [
    'compare',
    '--spec',
    spec,
    '--backends',
    `${e.backend}:${e.engine}`,
    '--set',
    `epochs=${epochs}`,
  ]
  const json = ['--quiet', '--format', 'json']
  const base = {
    suite: 'distributed' as const,
    backend: e.backend,
    engine: e.engine,
    default: e.default,
    pytorch: null,
    pytorchWhy: NO_PYTORCH,
  }
  const procs: ChildProcess[] = []
  try {
    const port = await freePort()
    const redis = await started(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', ctx.tmp, '--save', '', '--appendonly', 'no'],
      'Ready to accept connections',
    )
    procs.push(redis)
    const url = `redis://127.0.0.1:${port}`
    const local = await timed(bin, [...compare, ...json])
    const workers = async (n: number) => {
      const ws = await Promise.all(
        Array.from({ length: n }, () =>
          started(
            process.execPath,
            [bin, 'worker', '--queue', url, '--backends', e.backend],
            'waiting for trials',
            // Their temp folders in the suite's, which goes with it: a worker still stopping when
            // the bench exits cannot remove its own.
            { ...process.env, TMPDIR: ctx.tmp },
          ),
        ),
      )
      procs.push(...ws)
      const r = await timed(bin, [...compare, ...json, '--queue', url])
      for (const w of ws) w.kill('SIGTERM')
      return r
    }
    const one = await workers(1)
    const two = await workers(2)
    const count = (JSON.parse(local.trials) as unknown[][]).flat().length
    const identical = one.trials === local.trials && two.trials === local.trials
    const error = identical ? undefined : 'results differ between the in-process and the queue runs'
    const overhead = (one.ms - local.ms) / count
    const x = error ? null : speedup(one.ms, two.ms)
    const notes = `in-process ${formatValue(local.ms, 'ms')}, 1 worker ${formatValue(one.ms, 'ms')}, 2 workers ${formatValue(two.ms, 'ms')}; ${count} trials; results ${identical ? 'identical' : 'DIFFER'}`
    const detail = { localMs: local.ms, oneWorkerMs: one.ms, twoWorkersMs: two.ms, trials: count, identical }
    ctx.progress(
      `distributed: ${e.backend} ${e.engine} ${formatValue(x, 'x')}, ${formatValue(overhead, 'ms')}/trial`,
    )
    const grid = `seed-keras grid (${epochs} epochs)`
    return [
      withRatio({
        ...base,
        key: 'distributed/seed-keras',
        case: `${grid}, 2 queue workers vs 1`,
        unit: 'x',
        value: x,
        notes,
        detail,
        ...(error ? { error } : {}),
      }),
      withRatio({
        ...base,
        key: 'distributed/overhead',
        case: `${grid}: the queue's cost per trial (1 worker vs in-process)`,
        unit: 'ms',
        value: overhead,
        notes,
        detail,
      }),
    ]
  } catch (err) {
    const error = (err as Error).message.split('\n')[0] as string
    ctx.progress(`distributed: failed: ${error}`)
    return [
      withRatio({
        ...base,
        key: 'distributed/seed-keras',
        case: 'seed-keras grid, 2 queue workers vs 1',
        unit: 'x',
        value: null,
        error,
      }),
    ]
  } finally {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM')
  }
}
