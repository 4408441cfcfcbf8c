/** 9. Trials run by the hundred in one process (grids, folds, seeds): nothing may pile up. */
import { fail } from '../assertions.js'
import { DATA, makeJob, recorder, SHUFFLED } from '../fixtures.js'
import { type Check, train } from './check.js'

/** Lets closed handles finish closing before counting. */
async function settle(ms = 0): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve))
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms))
  await new Promise((resolve) => setImmediate(resolve))
}

function activeResources(): Map<string, number> {
  const counts = new Map<string, number>()
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1)
  return counts
}

const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0)

export const noLeaks: Check = async (backend, engine, o = {}) => {
  const trials = Math.max(2, o.trials ?? 50)
  const what = 'leaks'
  const trial = async (i: number) => {
    const job = makeJob(engine, { epochs: 2, batchSize: 2, order: SHUFFLED, seed: i })
    const { weights } = await train(backend, `${what}, trial ${i}`, job, recorder())
    await backend.predict({ ...job.model, weights }, DATA.x, engine)
  }
  // The first trial may load modules, compile kernels, fill caches: count from after it.
  await trial(0)
  await settle()
  const before = activeResources()
  const live = await o.liveResources?.()
  for (let i = 1; i < trials; i++) await trial(i)
  await settle()
  let after = activeResources()
  if (total(after) > total(before)) {
    await settle(100)
    after = activeResources()
  }
  const problems: string[] = []
  if (total(after) > total(before)) {
    const grown = [...after]
      .filter(([type, count]) => count > (before.get(type) ?? 0))
      .map(([type, count]) => `${type} ${before.get(type) ?? 0} -> ${count}`)
    problems.push(
      `process.getActiveResourcesInfo() grew from ${total(before)} to ${total(after)} (${grown.join(', ')}): a timer, socket, child process or worker per trial is never closed`,
    )
  }
  const liveAfter = await o.liveResources?.()
  if (live !== undefined && liveAfter !== undefined && liveAfter > live)
    problems.push(
      `liveResources() grew from ${live} to ${liveAfter} (about ${((liveAfter - live) / (trials - 1)).toPrecision(2)} a trial)`,
    )
  if (problems.length > 0) fail(`${what}: after ${trials} train+predict trials, ${problems.join('; ')}`)
}
