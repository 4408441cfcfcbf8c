/** "Same results, timings aside": what the parallel suite compares between serial and worker runs. Pure. */
import { createHash } from 'node:crypto'

interface Timed {
  timings?: unknown
}

/** The trials and the selection with every trial's `timings` removed, as canonical text. */
export function resultsWithoutTimings(r: { trials: readonly Timed[]; selection: unknown }): string {
  const trials = r.trials.map(({ timings: _t, ...rest }) => rest)
  return JSON.stringify({ trials, selection: r.selection })
}

/** sha256 of resultsWithoutTimings: equal results, equal fingerprints (across processes). */
export function fingerprint(r: { trials: readonly Timed[]; selection: unknown }): string {
  return createHash('sha256').update(resultsWithoutTimings(r)).digest('hex')
}
