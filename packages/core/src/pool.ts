import { availableParallelism } from 'node:os'
import { Piscina } from 'piscina'
import { UserError } from './errors.js'
import type { Experiment } from './plan.js'
import type { TrialRun } from './trial.js'
import type { TaskResult, TrialTask } from './trial-worker.js'
import type { Trial } from './trials.js'

/**
 * Trials spread over worker threads. Each worker rebuilds the experiment from its spec and loads
 * the backend by name once, so a task is only (spec, trial): results are the same as in-process.
 */
export class TrialPool {
  private readonly pool: Piscina<TrialTask, TaskResult>
  readonly workers: number
  /** Set to 1 to make every worker's trial stop at its next optimizer step (see trial-worker.ts). */
  private readonly stop = new Int32Array(new SharedArrayBuffer(4))
  private readonly running = new Set<Promise<TrialRun>>()
  private readonly halt = () => {
    Atomics.store(this.stop, 0, 1)
    Atomics.notify(this.stop, 0)
  }

  /**
   * `resolveFrom`: where workers look up backend packages (see loadBackend). `signal` (Ctrl-C)
   * stops the trials in flight at their next step, as it does a trial in this thread.
   */
  constructor(
    workers: number,
    private readonly resolveFrom: string[],
    private readonly signal?: AbortSignal,
  ) {
    this.workers = Math.max(1, Math.min(workers, availableParallelism()))
    this.pool = new Piscina({
      filename: new URL('./trial-worker.js', import.meta.url).href,
      minThreads: this.workers,
      maxThreads: this.workers,
      idleTimeout: 60_000,
    })
    signal?.addEventListener('abort', this.halt, { once: true })
  }

  /** A `run` for runExperiment: this experiment's trials on `backend`'s `engine`, in the pool. */
  runner(exp: Experiment, backend: string, engine: string): (trial: Trial) => Promise<TrialRun> {
    return (trial) => {
      const task = this.pool
        .run({
          raw: exp.raw,
          source: exp.source,
          baseDir: exp.baseDir,
          backend,
          engine,
          from: this.resolveFrom,
          trial,
          stop: this.stop,
        })
        .then((r) => {
          if ('problems' in r) throw new UserError(r.problems)
          return r
        })
      this.running.add(task)
      const done = () => this.running.delete(task)
      task.then(done, done)
      return task
    }
  }

  /**
   * Stops the trials in flight at their next step and ends the threads once every one has
   * returned: a thread terminated inside ONNX Runtime's or TensorFlow's native code takes the
   * process down with it (`terminate called after throwing an instance of 'Napi::Error'`).
   */
  async destroy(): Promise<void> {
    this.signal?.removeEventListener('abort', this.halt)
    this.halt()
    await Promise.allSettled(this.running)
    await this.pool.destroy()
  }
}
