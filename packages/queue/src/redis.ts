/** The Redis side shared by the coordinator and the workers: URLs, connections, key names, timings. */
import { UserError } from '@dualfit/core'
import { Redis } from 'ioredis'

/** Every key dualfit writes starts with this; a run's own keys with `${PREFIX}:run:<id>`. */
export const PREFIX = 'dualfit'
/** The ids of the runs whose trials workers may take (a set: Redis drops it once it is empty). */
export const RUNS = `${PREFIX}:runs`
/** Published on when a run starts or ends, so that workers join or leave it at once. */
export const CHANNEL = `${PREFIX}:runs`
/** BullMQ's key prefix for a run's queues: every key of the run starts with it. */
export const runPrefix = (id: string) => `${PREFIX}:run:${id}`
/** What the run carries for its workers: the specs, their data and hashes (see payload.ts). */
export const payloadKey = (id: string) => `${runPrefix(id)}:payload`
/** One queue per (spec, backend, engine) part, so a worker takes only the trials it can run. */
export const queueName = (part: number) => `part${part}`

/**
 * BullMQ's lock and stall check: a worker renews a trial's lock every lockDuration / 2 (trials run
 * on worker threads, so its event loop is free to); a SIGKILLed worker's trial goes back to the
 * queue once its lock has expired and a stall check ran, within ~15 s rather than BullMQ's 30 s +
 * 30 s defaults (bullmq/src/classes/worker.ts). A trial that stalls this many times fails the run.
 */
export const LOCK_MS = 10_000
export const STALLED_INTERVAL_MS = 5_000
export const MAX_STALLED = 2
/** Attempts for a trial that fails for another reason than its input (the input's: no retry). */
export const ATTEMPTS = 3
/** How a failed job's reason says that the trial's input was bad (a UserError): the run fails with it. */
export const USER_ERROR = 'UserError: '

/** The URL with its password hidden, for messages. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return url
  }
}

/** `--queue`: redis:// or rediss:// (TLS), with an optional user, password and database number. */
export function checkUrl(url: string): string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    u = new URL('invalid:')
  }
  if ((u.protocol !== 'redis:' && u.protocol !== 'rediss:') || !u.hostname || !/^(\/\d*)?$/.test(u.pathname))
    throw new UserError(
      `--queue '${shownUrl(url)}': expected redis://[user:password@]host:port[/db] or rediss://... (TLS)`,
    )
  return url
}

/**
 * A connection that retries for ever (Redis restarted: every command waits for it to come back,
 * as BullMQ's workers require: maxRetriesPerRequest null). `say` gets one line per outage.
 */
export function connect(url: string, say: (line: string) => void): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true })
  let up = false
  redis.on('error', (e: Error) => {
    if (!up) return
    up = false
    say(`lost Redis at ${shownUrl(url)} (${e.message || e.name}); reconnecting`)
  })
  redis.on('ready', () => {
    if (up) return
    up = true
    if (reached.has(redis)) say(`reconnected to Redis at ${shownUrl(url)}`)
    reached.add(redis)
  })
  return redis
}

/** Connections that were up once: a later 'ready' is a reconnection. */
const reached = new WeakSet<Redis>()

/** Connects, or a UserError naming the URL and why after `ms` (a typo should not hang). */
export async function reach(redis: Redis, url: string, ms = 10_000): Promise<void> {
  let why: string | null = null
  const note = (e: Error) => {
    why = e.message || e.name
  }
  redis.on('error', note)
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1000} s`)), ms)
  })
  try {
    await Promise.race([redis.connect(), late])
    await Promise.race([redis.ping(), late])
  } catch (e) {
    redis.disconnect()
    throw new UserError(`--queue '${shownUrl(url)}': cannot reach Redis (${why ?? (e as Error).message})`)
  } finally {
    clearTimeout(timer)
    redis.off('error', note)
  }
}

/** Deletes every key of a run (SCAN by its prefix: nothing else is touched). */
export async function removeRun(redis: Redis, id: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${runPrefix(id)}:*`, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) await redis.unlink(...keys)
  } while (cursor !== '0')
}
