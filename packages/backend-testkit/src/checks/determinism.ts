/** 4-5. Reproducibility: the harness compares backends and seeds, so the same job must repeat exactly. */
import type { Backend, TrainJob } from '@dualfit/core'
import { fail, firstBitDifference } from '../assertions.js'
import { makeJob, recorder, SHUFFLED, VALIDATION } from '../fixtures.js'
import { type Check, expectEpochs, train } from './check.js'

async function twice(backend: Backend, what: string, job: () => TrainJob, advice: string): Promise<void> {
  const runs = []
  for (let i = 0; i < 2; i++) {
    const rec = recorder()
    const j = job()
    const result = await train(backend, what, j, rec)
    expectEpochs(what, rec, j.epochs, `the job has ${j.epochs} epochs`)
    if (result.weights.some((w) => !w.kernel.every(Number.isFinite) || !w.bias.every(Number.isFinite)))
      fail(`${what}: train() returned weights that are not finite`)
    runs.push({ result, logs: rec.calls.map((c) => c.logs) })
  }
  const [a, b] = runs as [(typeof runs)[0], (typeof runs)[0]]
  const diff = firstBitDifference(a.result.weights, b.result.weights)
  if (diff) fail(`${what}: the same job twice gave different weights: ${diff}${advice}`)
  a.logs.forEach((logs, e) => {
    for (const key of ['loss', 'valLoss'] as const)
      if (!Object.is(logs[key], b.logs[e]?.[key]))
        fail(
          `${what}: the same job twice gave different ${key}: epoch ${e} is ${logs[key]} then ${b.logs[e]?.[key]}${advice}`,
        )
  })
  if (a.result.steps !== b.result.steps)
    fail(`${what}: the same job twice took ${a.result.steps} then ${b.result.steps} steps`)
}

export const deterministic: Check = (backend, engine) =>
  twice(
    backend,
    'determinism',
    () => makeJob(engine, { epochs: 3, batchSize: 2, order: SHUFFLED, validation: VALIDATION }),
    '',
  )

export const frameworkConventions: Check = (backend, engine) =>
  twice(
    backend,
    "init 'framework' (initialWeights and order null)",
    () => makeJob(engine, { epochs: 3, batchSize: 2, initialWeights: null, order: null, seed: 11 }),
    "; seed the framework's initializers and shuffling from job.seed",
  )
