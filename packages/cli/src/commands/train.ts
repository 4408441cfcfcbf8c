import { basename, dirname } from 'node:path'
import { type Device, runExperiment, trainedModelOf, UserError } from '@dualfit/core'
import { duration, num, textTable } from '@dualfit/report'
import { load, pickEngine } from '../backends.js'
import { toJson, writeFiles } from '../io.js'
import { DATA_SPEC, type DataArgs, loadSpec } from '../spec.js'

export interface TrainArgs extends DataArgs {
  /** Without one, --data runs the linear template. */
  spec?: string
  backend: string
  device?: Device
  engine?: string
  seed: number
  set?: string[]
  earlyStopping: boolean
  save?: string
  format: 'table' | 'json'
  signal: AbortSignal
}

/** Epochs worth printing: the first few, evenly spaced ones, and the last. */
function sampleEpochs(n: number, rows = 12): number[] {
  if (n <= rows) return Array.from({ length: n }, (_, i) => i)
  const step = (n - 1) / (rows - 1)
  return [...new Set(Array.from({ length: rows }, (_, i) => Math.round(i * step)))]
}

/** One configuration on one backend: the spec's own values, grid and CV ignored. */
export async function train(a: TrainArgs): Promise<string> {
  if (!a.spec && !a.data)
    throw new UserError('train: name an experiment with --spec or a data file with --data')
  const specPath = a.spec ?? DATA_SPEC
  const exp = await loadSpec(specPath, {
    ...a,
    set: a.set ?? [],
    patch: (raw) => ({
      ...raw,
      seeds: [a.seed],
      grid: {},
      cv: null,
      selection: undefined,
      refit: !a.earlyStopping,
      earlyStopping: a.earlyStopping ? raw.earlyStopping : null,
    }),
  })
  if (a.earlyStopping && !exp.spec.earlyStopping) {
    // Nothing to stop by: say so rather than silently training without a rule.
    throw new UserError(`--early-stopping: spec '${specPath}' has no earlyStopping section`)
  }
  const backend = await load(a.backend)
  try {
    const engine = await pickEngine(backend, a.device, a.engine)
    const r = await runExperiment(exp, backend, engine.id, { signal: a.signal })
    const trial = r.trials[0]
    if (!trial) throw new Error('train ran no trial')
    if (a.save) {
      const bytes = await backend.exportOnnx(trainedModelOf(r, trial))
      await writeFiles(dirname(a.save), { [basename(a.save)]: bytes })
    }
    if (a.format === 'json') return toJson(r)
    const epochs = sampleEpochs(trial.history.loss.length).map((e) => [
      String(e + 1),
      num(trial.history.loss[e], 6),
    ])
    const lines = [
      `${exp.spec.name} on ${backend.id} (${engine.id}), seed ${a.seed}: ${trial.epochsRun} of ${trial.epochs} epochs, ${trial.steps} steps in ${duration(trial.timings.trainMs)}${trial.stoppedEpoch !== null ? (trial.diverged ? ' — diverged' : ' — stopped early') : ''}`,
      textTable(['epoch', 'loss'], epochs),
      ...trial.weights.map(
        (w, i) =>
          `layer ${i}: kernel [${w.kernel.map((v) => num(v, 7)).join(', ')}] bias [${w.bias.map((v) => num(v, 7)).join(', ')}]`,
      ),
      ...trial.predictions.map(
        (p) =>
          `predict ${p.x.join(', ')} -> ${p.y.map((v) => num(v, 7)).join(', ')}${p.exact ? ` (exact ${p.exact.map((v) => num(v, 7)).join(', ')}, error ${p.absError?.map((v) => num(v, 3)).join(', ')})` : ''}`,
      ),
      ...(trial.testMse !== null
        ? [`test MSE on ${exp.holdout?.n} held-out rows: ${num(trial.testMse, 6)}`]
        : []),
      ...(a.save ? [`saved ${a.save}`] : []),
    ]
    return `${lines.join('\n')}\n`
  } finally {
    await backend.dispose()
  }
}
