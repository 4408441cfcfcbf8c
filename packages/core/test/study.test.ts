import { describe, expect, it } from 'vitest'
import {
  type ExperimentResult,
  prepareExperiment,
  resolveEngine,
  runStudy,
  runTrial,
  type StudyRun,
  type Trial,
  type TrialResult,
} from '../src/index.js'
import { minimal } from './fixtures.js'
import { LinearBackend } from './linear-backend.js'

const withoutTimings = (r: ExperimentResult) => r.trials.map(({ timings: _t, ...rest }: TrialResult) => rest)

/** Two experiments on one backend each, as compare plans them: a row per experiment. */
async function pairs(): Promise<StudyRun[][]> {
  const backend = new LinearBackend()
  const engine = await resolveEngine(backend, { engine: 'js' })
  return Promise.all(
    ['a', 'b'].map(async (name) => [
      {
        exp: await prepareExperiment({ ...minimal, name, epochs: 3, cv: { folds: 2 } }),
        name: 'test-linear',
        backend,
        engine,
      },
    ]),
  )
}

/** A runner that takes a moment per trial and logs when each pair's trials start and end. */
function logged(log: string[]) {
  return (r: StudyRun) => async (t: Trial) => {
    log.push(`start ${r.exp.spec.name}`)
    await new Promise((ok) => setTimeout(ok, 5))
    const done = await runTrial(r.exp, t, r.backend, r.engine.id)
    log.push(`end ${r.exp.spec.name}`)
    return done
  }
}

describe('runStudy', () => {
  it('runs the pairs one after another by default', async () => {
    const log: string[] = []
    await runStudy(await pairs(), { runner: logged(log), concurrency: 8 })
    expect(log.indexOf('start b')).toBeGreaterThan(log.lastIndexOf('end a'))
  })

  it('allRunsAtOnce: every pair in flight together, with the same results in the same order', async () => {
    const log: string[] = []
    const together = await runStudy(await pairs(), {
      runner: logged(log),
      concurrency: 8,
      allRunsAtOnce: true,
    })
    // b's trials start before a's last one ends: a worker serving only b's backend is not kept idle.
    expect(log.indexOf('start b')).toBeLessThan(log.lastIndexOf('end a'))
    const apart = await runStudy(await pairs())
    expect(together.rows.map((row) => row.map((r) => r.spec.name))).toEqual([['a'], ['b']])
    expect(together.rows.map((row) => row.map(withoutTimings))).toEqual(
      apart.rows.map((row) => row.map(withoutTimings)),
    )
    expect([together.fresh, together.reused]).toEqual([apart.fresh, 0])
  })
})
