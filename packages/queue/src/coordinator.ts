/**
 * The coordinator's side of a queue-backed run: the run's trials become BullMQ jobs (one queue per
 * experiment x backend part, all under the run's key prefix), and each trial's promise resolves
 * when a worker anywhere has finished it. It is a `runner` for core's runStudy, which journals
 * every result, selects and asks for the final runs as it does for local trials.
 */
import { createHash, randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import {
  parseSettings,
  parseTrialResult,
  type StudyRun,
  type Trial,
  type TrialRun,
  UserError,
} from '@dualfit/core'
import { type Job, Queue, QueueEvents } from 'bullmq'
import type { Redis } from 'ioredis'
import { payloadOf } from './payload.js'
import {
  ATTEMPTS,
  CHANNEL,
  connect,
  payloadKey,
  queueName,
  RUNS,
  reach,
  removeRun,
  runPrefix,
  shownUrl,
  USER_ERROR,
} from './redis.js'

/** How often the trials awaited are looked up, in case an event was lost (Redis restarted). */
const SWEEP_MS = 5_000

interface Waiting {
  queue: number
  trial: Trial
  layers: StudyRun['exp']['spec']['model']['layers']
  label: string
  resolve: (r: TrialRun) => void
  reject: (e: Error) => void
}

export interface QueueRunOptions {
  /** The run's --out: a run with one has a stable id, so that --resume finds its queue again. */
  out?: string
  note: (line: string) => void
}

export class QueueRun {
  private readonly queues: Queue[]
  private readonly events: QueueEvents[]
  private readonly waiting = new Map<string, Waiting>()
  private readonly connections: Redis[] = []
  private readonly sweep: NodeJS.Timeout
  /** Trials enqueued, and those a worker had finished before this coordinator asked (--resume). */
  enqueued = 0
  private failure: Error | null = null
  /** The sweep under way: close() waits for it, so that it cannot register a run that ended. */
  private sweeping: Promise<void> = Promise.resolve()

  private constructor(
    private readonly redis: Redis,
    private readonly url: string,
    readonly id: string,
    private readonly parts: StudyRun[],
    private readonly payload: string,
  ) {
    const opts = { connection: redis, prefix: runPrefix(id) }
    this.queues = parts.map((_, i) => new Queue(queueName(i), opts))
    // QueueEvents blocks on its connection (XREAD): one of its own each.
    this.events = parts.map((_, i) => {
      const connection = redis.duplicate({ lazyConnect: false })
      connection.on('error', () => {})
      this.connections.push(connection)
      return new QueueEvents(queueName(i), { connection, prefix: runPrefix(id) })
    })
    for (const [i, e] of this.events.entries()) {
      const settle = ({ jobId }: { jobId: string }) => void this.settle(i, jobId)
      e.on('completed', settle)
      e.on('failed', settle)
    }
    // BullMQ's objects emit 'error' while Redis is away; connect() already says so once.
    for (const q of this.queues) q.on('error', () => {})
    for (const e of this.events) e.on('error', () => {})
    this.sweep = setInterval(() => {
      this.sweeping = this.check()
    }, SWEEP_MS)
  }

  /**
   * Registers the run (its payload, then its id where workers look) and returns its coordinator.
   * A run with an --out has the id of its inputs and folder, so that a resumed coordinator finds
   * the trials that workers finished while it was away; one without, a fresh id.
   */
  static async open(url: string, runs: StudyRun[], o: QueueRunOptions): Promise<QueueRun> {
    const redis = connect(url, o.note)
    await reach(redis, url)
    const who = runs.map((r) => [r.exp.specHash, r.exp.data.sha256, r.name, r.engine.id])
    const where = o.out ? `${hostname()}:${resolve(o.out)}` : randomUUID()
    const id = createHash('sha256')
      .update(JSON.stringify([who, where]))
      .digest('hex')
      .slice(0, 16)
    return new QueueRun(redis, url, id, runs, JSON.stringify(payloadOf(runs)))
  }

  /** Registered with the first trial: a run refused before it (e.g. by its journal) writes no key. */
  private registered: Promise<void> | null = null

  /** Idempotent: also what restores a run whose keys a Redis restart without persistence lost. */
  private async register(): Promise<void> {
    await this.redis.set(payloadKey(this.id), this.payload)
    if ((await this.redis.sadd(RUNS, this.id)) > 0) await this.redis.publish(CHANNEL, this.id)
  }

  /** Names the queue in messages: the URL without its password, and the run's key prefix. */
  get label(): string {
    return `${shownUrl(this.url)} (keys ${runPrefix(this.id)}:*)`
  }

  /** runStudy's runner for one of the parts `open` was given. */
  runner(run: StudyRun): (trial: Trial) => Promise<TrialRun> {
    const part = this.parts.indexOf(run)
    if (part < 0) throw new Error(`runner: ${run.exp.spec.name} on ${run.name} is not a part of this run`)
    return (trial) =>
      new Promise<TrialRun>((resolve, reject) => {
        if (this.failure) return reject(this.failure)
        this.waiting.set(`${part}|${trial.id}`, {
          queue: part,
          trial,
          layers: run.exp.spec.model.layers,
          label: `trial ${trial.id} of ${run.exp.spec.name} on ${run.name}`,
          resolve,
          reject,
        })
        this.enqueued++
        this.add(part, trial).then(
          () => this.settle(part, trial.id),
          (e) => this.fail(e as Error),
        )
      })
  }

  /** A job per trial, its id the trial's: adding it again (a resumed coordinator) keeps the one there. */
  private async add(part: number, trial: Trial): Promise<Job> {
    this.registered ??= this.register()
    await this.registered
    return (this.queues[part] as Queue).add(
      'trial',
      { trial },
      {
        jobId: trial.id,
        attempts: ATTEMPTS,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: false,
        removeOnFail: false,
      },
    )
  }

  /** Resolves or rejects the waiting trial once its job has finished; re-adds a job that is gone. */
  private async settle(part: number, jobId: string): Promise<void> {
    const key = `${part}|${jobId}`
    const w = this.waiting.get(key)
    if (!w) return
    const queue = this.queues[part] as Queue
    let state: Awaited<ReturnType<Queue['getJobState']>>
    let job: Job | undefined
    try {
      // The state first: a job read while active and then found finished would lack its result.
      state = await queue.getJobState(jobId)
      job = state === 'unknown' ? undefined : await queue.getJob(jobId)
      if (!job) await this.add(part, w.trial)
    } catch {
      // Redis is away: the next sweep looks again.
      return
    }
    if (!job) return
    try {
      if (state === 'completed') {
        const done = JSON.parse(String(job.returnvalue)) as { result: unknown; settings: unknown }
        const run = {
          result: parseTrialResult(done?.result, w.layers, `${w.label}: result`),
          settings: parseSettings(done?.settings, `${w.label}: settings`),
        }
        if (this.waiting.delete(key)) w.resolve(run)
      } else if (state === 'failed') {
        const reason = job.failedReason ?? 'failed'
        this.fail(
          reason.startsWith(USER_ERROR)
            ? new UserError(reason.slice(USER_ERROR.length))
            : new Error(`${w.label} failed after ${job.attemptsMade} attempt(s): ${reason}`),
        )
      }
    } catch (e) {
      // A result that does not read fails the run rather than leaving its trial waiting for ever.
      this.fail(
        e instanceof UserError ? e : new Error(`${w.label}: unreadable result (${(e as Error).message})`),
      )
    }
  }

  private fail(e: Error): void {
    this.failure ??= e
    for (const w of this.waiting.values()) w.reject(this.failure)
    this.waiting.clear()
  }

  private async check(): Promise<void> {
    if (!this.registered) return
    try {
      await this.register()
    } catch {
      return
    }
    await Promise.all([...this.waiting.values()].map((w) => this.settle(w.queue, w.trial.id)))
  }

  /**
   * Stops waiting. A run that ended (finished, or failed on its input) leaves the registry and,
   * unless `keep`, loses every key under its prefix; an interrupted one stays for --resume.
   */
  async close(ended: boolean, keep = false): Promise<void> {
    clearInterval(this.sweep)
    await this.sweeping
    this.fail(new Error('the queue was closed'))
    if (ended && this.registered) {
      await this.redis.srem(RUNS, this.id)
      await this.redis.publish(CHANNEL, this.id)
    }
    await Promise.all(this.events.map((e) => e.close()))
    await Promise.all(this.queues.map((q) => q.close()))
    if (ended && this.registered && !keep) await removeRun(this.redis, this.id)
    for (const c of [this.redis, ...this.connections]) c.disconnect()
  }
}
