/**
 * keras-style: microseconds per optimizer step of Dense(1) + Adam on the seed data, through the
 * Backend's train (fitDataset), and the breakdown that shows where the time goes: model.fit on
 * tensors, model.trainOnBatch and a bare optimizer.minimize, each with its tfjs kernels per step.
 */
import { profileSteps } from '@dualfit/keras-style/profile'
import type { BenchOptions, BenchRow } from './types.js'

const ENGINES = { cpu: ['cpu'], wasm: ['wasm'], gpu: [], all: ['cpu', 'wasm'] } as const

export async function bench(opts: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  for (const engine of ENGINES[opts.device]) {
    for (const batchSize of [7, 1]) {
      // Batch 7 is one step per epoch (the seed's full batch); batch 1 is seven.
      const epochs = (batchSize === 7 ? 1000 : 150) / (opts.quick ? 10 : 1)
      const p = await profileSteps(engine, batchSize, { epochs, reps: opts.quick ? 1 : 5 })
      const [train] = p.rows
      for (const r of p.rows) {
        const inKernels = r.kernelsPerStep * p.usPerKernel
        rows.push({
          suite: 'train-step',
          backend: 'keras-style',
          engine,
          case: `Dense(1) Adam, batch ${batchSize}: ${r.what}`,
          steps: r.steps,
          usPerStep: r.usPerStep,
          notes:
            `${r.kernelsPerStep.toFixed(1)} kernels/step x ${p.usPerKernel.toFixed(2)} us = ${inKernels.toFixed(0)} us; ` +
            (r === train
              ? `rest ${(r.usPerStep - inKernels).toFixed(0)} us (fit loop, callbacks, GC)`
              : `${((r.usPerStep / (train?.usPerStep ?? r.usPerStep)) * 100).toFixed(0)}% of Backend.train`),
        })
      }
    }
  }
  return rows
}
