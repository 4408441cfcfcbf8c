import type { Backend } from './backend.js'
import { isUserError } from './errors.js'
import { type Experiment, prepareExperiment } from './plan.js'
import { loadBackend } from './registry.js'
import { runTrial, type TrialRun } from './trial.js'
import type { Trial } from './trials.js'

export interface TrialTask {
  raw: unknown
  source: string
  baseDir: string
  backend: string
  engine: string
  from: string[]
  trial: Trial
  /** The pool's stop flag, shared memory: 1 once the run is interrupted or the pool is closing. */
  stop: Int32Array
}

// One worker serves many trials: keep what is costly to build.
const experiments = new Map<string, Experiment>()
const backends = new Map<string, Promise<Backend>>()
let stopped: AbortSignal | undefined

/**
 * Aborted once the main thread sets the stop flag. Backends ask signal.throwIfAborted() before
 * every step, so the flag is read right there: a busy worker's event loop may not turn for a
 * whole trial, and a message would wait for it.
 */
function stopSignal(stop: Int32Array): AbortSignal {
  if (stopped) return stopped
  const controller = new AbortController()
  const signal = controller.signal
  const check = signal.throwIfAborted.bind(signal)
  signal.throwIfAborted = () => {
    if (!signal.aborted && Atomics.load(stop, 0) !== 0) controller.abort(new Error('the run was interrupted'))
    check()
  }
  stopped = signal
  return signal
}

/**
 * A trial's run, or the problems of the UserError it threw: an error crosses to the main thread by
 * structured clone, which keeps its message but not its class or name (pool.ts throws it again).
 */
export type TaskResult = TrialRun | { problems: string[] }

export default async function runTask(task: TrialTask): Promise<TaskResult> {
  try {
    return await runOne(task)
  } catch (e) {
    if (isUserError(e)) return { problems: e.problems }
    throw e
  }
}

async function runOne(task: TrialTask): Promise<TrialRun> {
  const key = `${task.baseDir}\n${task.source}\n${JSON.stringify(task.raw)}`
  let exp = experiments.get(key)
  if (!exp) {
    exp = await prepareExperiment(task.raw, task.source, task.baseDir)
    experiments.set(key, exp)
  }
  let backend = backends.get(task.backend)
  if (!backend) {
    backend = loadBackend(task.backend, task.from)
    backends.set(task.backend, backend)
  }
  return runTrial(exp, task.trial, await backend, task.engine, stopSignal(task.stop))
}
