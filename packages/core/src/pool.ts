import { availableParallelism } from 'node:os'
import { Piscina } from 'piscina'
import type { Experiment } from './plan.js'
import type { Trial, TrialResult } from './results.js'
import type { TrialTask } from './trial-worker.js'

/**
 * Trials spread over worker threads. Each worker rebuilds the experiment from its spec and loads
 * the backend by name once, so a task is only (spec, trial): results are the same as in-process.
 */
export class TrialPool {
  private readonly pool: Piscina<TrialTask, TrialResult>
  readonly workers: number

  /** `resolveFrom`: where workers look up backend packages (see loadBackend). */
  constructor(
    workers: number,
    private readonly resolveFrom: string[],
  ) {
    this.workers = Math.max(1, Math.min(workers, availableParallelism()))
    this.pool = new Piscina({
      filename: new URL('./trial-worker.js', import.meta.url).href,
      minThreads: this.workers,
      maxThreads: this.workers,
      idleTimeout: 60_000,
    })
  }

  /** A `run` for runExperiment: this experiment's trials on `backend`'s `engine`, in the pool. */
  runner(exp: Experiment, backend: string, engine: string): (trial: Trial) => Promise<TrialResult> {
    return (trial) =>
      this.pool.run({
        raw: exp.raw,
        source: exp.source,
        baseDir: exp.baseDir,
        backend,
        engine,
        from: this.resolveFrom,
        trial,
      })
  }

  destroy(): Promise<void> {
    return this.pool.destroy()
  }
}
