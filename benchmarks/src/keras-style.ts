/**
 * keras-style: microseconds per optimizer step of Dense(1) + Adam on the seed data, through the
 * Backend's train (fitDataset), and the breakdown that shows where the time goes: model.fit on
 * tensors, model.trainOnBatch and a bare optimizer.minimize, each with its tfjs kernels per step.
 */

import type { StepMeasure } from './jobs.js'
import { profileSteps } from './keras-profile.js'

/** 'Backend.train (fitDataset)' -> 'backend-train-fitdataset'. */
const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')

/** `engine`: an available engine id the runner chose for the requested device. */
export async function bench(engine: string, opts: { quick: boolean }): Promise<StepMeasure[]> {
  const rows: StepMeasure[] = []
  for (const batchSize of [7, 1]) {
    // Batch 7 is one step per epoch (the seed's full batch); batch 1 is seven.
    // Many short timed runs, variants taking turns: a median that a slow spell of the machine
    // barely moves.
    const epochs = (batchSize === 7 ? 500 : 75) / (opts.quick ? 5 : 1)
    const p = await profileSteps(engine, batchSize, { epochs, reps: opts.quick ? 3 : 9 })
    const train = p.rows[0]
    for (const r of p.rows) {
      // A scalar add is the cheapest kernel: kernels x its cost is a floor on the launch overhead.
      const launches = `${r.kernelsPerStep.toFixed(1)} kernels/step, >= ${(r.kernelsPerStep * p.usPerKernel).toFixed(0)} us at ${p.usPerKernel.toFixed(2)} us each`
      const share =
        r === train
          ? ''
          : `; ${((r.usPerStep / (train?.usPerStep ?? r.usPerStep)) * 100).toFixed(0)}% of Backend.train`
      rows.push({
        key: `step/batch-${batchSize}/${slug(r.what)}`,
        case: `Dense(1) Adam, batch ${batchSize}: ${r.what}`,
        batch: batchSize,
        steps: r.steps,
        usPerStep: r.usPerStep,
        notes: launches + share,
      })
    }
  }
  return rows
}
