/** What compare and parity run: each spec on each backend, with the engine it runs on. */
import {
  type Backend,
  type PlanCheck,
  planSize,
  resolveEngine,
  type StudyRun,
  workloadOf,
} from '@dualfit/core'
import { type BackendChoice, choice, load } from './backend-choice.js'
import type { ExperimentArgs } from './options.js'
import { DATA_SPEC, DEFAULT_SPECS, loadSpec } from './spec.js'

/** One experiment on one backend and engine: the unit a run is made of (core's StudyRun). */
export type Run = StudyRun

/**
 * A row of runs per spec (--spec; else --data's template for its task; else the seed's two
 * protocols), one run per backend. Everything is validated and every engine resolved before the
 * first trial, so a typo fails in milliseconds; `guard` makes the plan guard for that many specs.
 * The caller disposes `backends` once done.
 */
export async function planRuns(
  a: ExperimentArgs & { note: (line: string) => void },
  choices: BackendChoice[],
  guard: (specs: number) => PlanCheck,
): Promise<{ runs: Run[][]; backends: Backend[] }> {
  const specs = a.spec?.length ? a.spec : a.data ? [DATA_SPEC] : DEFAULT_SPECS
  const check = guard(specs.length)
  const experiments = []
  for (const p of specs) experiments.push(await loadSpec(p, { ...a, check }))
  const backends: Backend[] = []
  try {
    for (const c of choices) backends.push(await load(c.name))
    const runs: Run[][] = []
    for (const exp of experiments) {
      const row: Run[] = []
      for (const [i, c] of choices.entries()) {
        const backend = backends[i] as Backend
        // Per experiment: a backend may pick its engine by workload.
        const engine = await resolveEngine(backend, {
          ...choice(c.engine, a.device),
          workload: workloadOf(exp),
        })
        row.push({ exp, name: c.name, backend, engine })
      }
      runs.push(row)
    }
    return { runs, backends }
  } catch (e) {
    for (const b of backends) await b.dispose()
    throw e
  }
}

/** Trials and optimizer steps (at most) of all the runs together. */
export function planTotals(runs: Run[][]): { trials: number; steps: number } {
  let trials = 0
  let steps = 0
  for (const r of runs.flat()) {
    const size = planSize(r.exp.spec, r.exp.dataset.n)
    trials += size.trials
    steps += size.steps
  }
  return { trials, steps }
}
