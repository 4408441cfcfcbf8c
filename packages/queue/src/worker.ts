/**
 * The worker's side: takes the trials of every run registered in Redis whose backend it serves,
 * rebuilds each run's experiments from what the run carries (hashes checked), runs the trials on
 * its own engines in worker threads (core's TrialPool) and hands the results back through BullMQ.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type Backend,
  type Experiment,
  isUserError,
  loadBackend,
  resolveEngine,
  type Trial,
  type TrialRun,
  toJsonLine,
} from '@dualfit/core'
import { TrialPool } from '@dualfit/core/pool'
import { type Job, UnrecoverableError, WaitingError, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import { type CarriedPart, type CarriedSpec, parsePayload, rebuild } from './payload.js'
import {
  CHANNEL,
  connect,
  LOCK_MS,
  MAX_STALLED,
  payloadKey,
  queueName,
  RUNS,
  reach,
  runPrefix,
  STALLED_INTERVAL_MS,
  shownUrl,
  USER_ERROR,
} from './redis.js'

/** How often the registry is read besides its messages (a message is lost while Redis is away). */
const POLL_MS = 5_000

export interface WorkerOptions {
  url: string
  /** Trials run at once (worker threads). */
  concurrency: number
  /** The backends served: a name, or name:engine for that engine only. */
  backends: { name: string; engine?: string }[]
  /** Where backend packages are looked up (see core's loadBackend). */
  resolveFrom: string[]
  note: (line: string) => void
  /** Aborted: trials in flight stop and go back to the queue, and the worker ends. */
  signal: AbortSignal
}

interface Joined {
  workers: Worker[]
}

/** Runs until `signal` aborts; resolves to the number of trials this worker finished. */
export async function runWorker(o: WorkerOptions): Promise<number> {
  const redis = connect(o.url, o.note)
  await reach(redis, o.url)
  const sub = redis.duplicate({ lazyConnect: false })
  sub.on('error', () => {})
  const dir = mkdtempSync(join(tmpdir(), 'dualfit-worker-'))
  const pool = new TrialPool(o.concurrency, o.resolveFrom, o.signal)
  const backends = new Map<string, Promise<Backend>>()
  const joined = new Map<string, Joined>()
  const connections: Redis[] = [redis, sub]
  let finished = 0
  const me = `worker ${hostname()}:${process.pid}`

  /** Whether this worker serves a part, and why not (once, for the note). */
  async function serves(part: CarriedPart): Promise<string | null> {
    const choice = o.backends.find((b) => b.name === part.backend)
    if (!choice) return `it does not run ${part.backend} (--backends)`
    if (choice.engine && choice.engine !== part.engine)
      return `its --backends names ${part.backend}:${choice.engine}`
    let backend = backends.get(part.backend)
    if (!backend) {
      backend = loadBackend(part.backend, o.resolveFrom)
      backends.set(part.backend, backend)
    }
    try {
      await resolveEngine(await backend, { engine: part.engine })
      return null
    } catch (e) {
      return isUserError(e) ? e.message : String(e)
    }
  }

  async function take(id: string): Promise<void> {
    const text = await redis.get(payloadKey(id))
    if (text === null) return
    joined.set(id, { workers: [] })
    let payload: ReturnType<typeof parsePayload>
    try {
      payload = parsePayload(text, `run ${id}`)
    } catch (e) {
      o.note(`not taking run ${id}: ${(e as Error).message}`)
      return
    }
    const experiments = new Map<number, Promise<Experiment>>()
    const entry = joined.get(id) as Joined
    for (const [i, part] of payload.parts.entries()) {
      const carried = payload.specs[part.spec] as CarriedSpec
      const why = await serves(part)
      const what = `${carried.source} on ${part.backend}:${part.engine}`
      if (why) {
        o.note(`run ${id}: not taking ${what}: ${why}`)
        continue
      }
      const prepared = () => {
        let exp = experiments.get(part.spec)
        if (!exp) {
          exp = rebuild(carried, dir)
          experiments.set(part.spec, exp)
        }
        return exp
      }
      const processor = async (job: Job<{ trial: Trial }>, token?: string): Promise<string> => {
        try {
          const exp = await prepared()
          const run: TrialRun = await pool.runner(exp, part.backend, part.engine)(job.data.trial)
          finished++
          return toJsonLine(run)
        } catch (e) {
          if (o.signal.aborted) {
            // Stopped, not failed: back to the queue for another worker, no attempt spent.
            await job.moveToWait(token)
            throw new WaitingError()
          }
          // The trial's input is wrong: any worker would fail the same way, so no retry.
          if (isUserError(e)) throw new UnrecoverableError(`${USER_ERROR}${e.message} (${me})`)
          throw e
        }
      }
      const connection = redis.duplicate({ lazyConnect: false })
      connection.on('error', () => {})
      connections.push(connection)
      const worker = new Worker(queueName(i), processor, {
        connection,
        prefix: runPrefix(id),
        concurrency: pool.workers,
        lockDuration: LOCK_MS,
        stalledInterval: STALLED_INTERVAL_MS,
        maxStalledCount: MAX_STALLED,
      })
      worker.on('error', () => {})
      entry.workers.push(worker)
      o.note(`run ${id}: taking ${what}`)
    }
  }

  /** A run that ended: its trials in flight are dropped (their results would go nowhere). */
  function leave(id: string): void {
    const entry = joined.get(id)
    joined.delete(id)
    for (const w of entry?.workers ?? []) void w.close(true)
  }

  let busy = Promise.resolve()
  /** Joins the runs registered and leaves those that ended, one refresh at a time. */
  const refresh = () => {
    busy = busy
      .then(async () => {
        if (o.signal.aborted) return
        const ids = new Set(await redis.smembers(RUNS))
        for (const id of joined.keys()) if (!ids.has(id)) leave(id)
        for (const id of ids) if (!joined.has(id)) await take(id)
      })
      .catch(() => {})
    return busy
  }

  sub.on('message', refresh)
  await sub.subscribe(CHANNEL)
  const poll = setInterval(refresh, POLL_MS)
  await refresh()
  o.note(`${me}: waiting for trials at ${shownUrl(o.url)} (${pool.workers} at once)`)
  await new Promise<void>((resolve) => {
    if (o.signal.aborted) resolve()
    o.signal.addEventListener('abort', () => resolve(), { once: true })
  })
  clearInterval(poll)
  await busy
  // The pool stops the trials in flight (at their next step); they go back to the queue.
  const workers = [...joined.values()].flatMap((j) => j.workers)
  await Promise.all(workers.map((w) => w.close()))
  await pool.destroy()
  for (const b of backends.values()) await (await b).dispose()
  for (const c of connections) c.disconnect()
  rmSync(dir, { recursive: true, force: true })
  return finished
}
