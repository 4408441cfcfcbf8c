/** What several of core's tests share: the smallest valid spec, and a result from a real run of it. */
import { type ExperimentResult, prepareExperiment, runExperiment, type SpecInput } from '../src/index.js'
import { LinearBackend } from './linear-backend.js'

/** The smallest valid spec: one linear unit fitting meters to feet. Spread it; do not change it. */
export const minimal: SpecInput = {
  name: 't',
  dataset: { builtin: 'meters-feet' },
  model: { layers: [{ units: 1 }] },
  optimizer: { lr: 0.1 },
  epochs: 10,
}

/**
 * `minimal` named `name`, run for 3 epochs with 2-fold CV and one report input on the test double:
 * its trials are the search trials of folds 0 and 1, then a refit with predictions and per-epoch errors.
 */
export async function ranExperiment(name = minimal.name): Promise<ExperimentResult> {
  const spec = { ...minimal, name, epochs: 3, cv: { folds: 2 }, report: { predict: [100] } }
  return runExperiment(await prepareExperiment(spec), new LinearBackend(), 'js')
}
