import { basename, dirname } from 'node:path'
import {
  type Device,
  type ExperimentResult,
  resolveEngine,
  runSingle,
  singleSteps,
  type TrialResult,
  toJson,
  trainedModelOf,
  UserError,
  weightsProblem,
  workloadOf,
} from '@dualfit/core'
import { exportOnnx } from '@dualfit/onnx'
import { duration, num, plain, terminalWidth, textTable, wrapLine } from '@dualfit/report'
import type { Argv } from 'yargs'
import { choice, load } from '../backend-choice.js'
import { checkNewFile, pathOption, writeFiles } from '../io.js'
import {
  type Command,
  type Context,
  checkPlan,
  DEVICES,
  dataArgs,
  dataOptions,
  LIMITS,
  nonNegativeInt,
} from '../options.js'
import { onnxOptions } from '../results.js'
import { SCRIPT_NAME } from '../script-name.js'
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
  /** Overwrite an existing --save file; save NaN/Infinity weights. */
  force?: boolean
  format: 'table' | 'json'
  /** Start a run over the size limits without asking. */
  yes: boolean
  signal: AbortSignal
  note: (line: string) => void
}

/** Epochs worth printing: the first few, evenly spaced ones, and the last. */
function sampleEpochs(n: number, rows = 12): number[] {
  if (n <= rows) return Array.from({ length: n }, (_, i) => i)
  const step = (n - 1) / (rows - 1)
  return [...new Set(Array.from({ length: rows }, (_, i) => Math.round(i * step)))]
}

/** A prediction as its inputs and outputs; a classifier's as its class and each class's probability. */
function predictionLine(r: ExperimentResult, p: TrialResult['predictions'][number]): string {
  const classes = r.data.classes
  const y =
    p.label !== undefined && classes
      ? `${plain(p.label)} (${p.y.map((v, c) => `p(${plain(classes[c] ?? String(c))}) ${num(v, 4)}`).join(', ')})`
      : p.y.map((v) => num(v, 7)).join(', ')
  const exact = p.exact
    ? ` (exact ${p.exact.map((v) => num(v, 7)).join(', ')}, error ${p.absError?.map((v) => num(v, 3)).join(', ')})`
    : ''
  return `predict ${p.x.join(', ')} -> ${y}${exact}`
}

/** A classifier's accuracy and log loss on the rows it trained on and on the held-out ones. */
function classificationLines(trial: TrialResult, heldOut: number): string[] {
  const c = trial.classification
  if (!c) return []
  const scores = (m: { accuracy: number; logLoss: number }) =>
    `accuracy ${num(m.accuracy, 4)}, log loss ${num(m.logLoss, 4)}`
  return [
    `train ${scores(c.train)}`,
    ...(c.test ? [`test ${scores(c.test)} on ${heldOut} held-out rows`] : []),
  ]
}

/** The run for reading: its loss per epoch, weights, predictions and scores, lines within the terminal. */
function trainText(r: ExperimentResult, trial: TrialResult, a: TrainArgs, heldOut: number): string {
  // With an exact function, the error at the report inputs per epoch shows the way to quality.
  const { error, accuracy } = trial.history
  const epochs = sampleEpochs(trial.history.loss.length).map((e) => [
    String(e + 1),
    num(trial.history.loss[e], 6),
    ...(accuracy ? [num(accuracy[e], 4)] : []),
    ...(error ? [num(error[e], 3)] : []),
  ])
  const unit = r.data.units.y[0] ? ` ${r.data.units.y[0]}` : ''
  const within = `${num(r.spec.report.tolerance, 3)}${unit}`
  const quality =
    trial.toQuality === undefined
      ? []
      : trial.toQuality
        ? [
            `within ${within} at every report input from epoch ${trial.toQuality.epochs} on (step ${trial.toQuality.steps}, ${duration(trial.timings.toQualityMs ?? Number.NaN)} of training)`,
          ]
        : [`not within ${within} at the end of training`]
  // Several outputs: each one's MSE too, in its own units.
  const byOutput =
    trial.testMseByOutput && trial.testMseByOutput.length > 1
      ? ` (${trial.testMseByOutput.map((m, j) => `${plain(r.data.columns.y[j] ?? '')} ${num(m, 6)}`).join(', ')})`
      : ''
  const width = terminalWidth()
  const table = textTable(
    [
      'epoch',
      'loss',
      ...(accuracy ? ['train accuracy'] : []),
      ...(error ? ['max |error| at report inputs'] : []),
    ],
    epochs,
    width,
  )
  const lines = [
    `${plain(r.spec.name)} on ${plain(r.backend.id)} (${plain(r.backend.engine.id)}), seed ${a.seed}: ${trial.epochsRun} of ${trial.epochs} epochs, ${trial.steps} steps in ${duration(trial.timings.trainMs)}${trial.stoppedEpoch !== null ? (trial.diverged ? ' — diverged' : ' — stopped early') : ''}`,
    table,
    ...trial.weights.map(
      (w, i) =>
        `layer ${i}: kernel [${w.kernel.map((v) => num(v, 7)).join(', ')}] bias [${w.bias.map((v) => num(v, 7)).join(', ')}]`,
    ),
    ...trial.predictions.map((p) => predictionLine(r, p)),
    ...quality,
    ...(trial.testMse !== null
      ? [`test MSE on ${heldOut} held-out rows: ${num(trial.testMse, 6)}${byOutput}`]
      : []),
    ...classificationLines(trial, heldOut),
    ...(a.save ? [`saved ${a.save}`] : []),
  ]
  // A layer's weights can be thousands of numbers: wrapped, as every line, to the terminal.
  return `${lines.map((l) => (l === table ? l : wrapLine(l, width, 2))).join('\n')}\n`
}

/** One configuration on one backend: the spec's own values, grid and CV ignored. */
export async function train(a: TrainArgs): Promise<string> {
  if (!a.spec && !a.data)
    throw new UserError('train: name an experiment with --spec or a data file with --data')
  const specPath = a.spec ?? DATA_SPEC
  const stage = a.earlyStopping ? 'early-stopping' : 'refit'
  const exp = await loadSpec(specPath, {
    ...a,
    // One trial of the spec's own values, sized before its data is made.
    check: (spec, rows) =>
      checkPlan(
        `${plain(spec.name)} on ${plain(a.backend)}`,
        1,
        singleSteps(spec, rows, stage),
        a.yes,
        a.note,
      ),
  })
  if (a.earlyStopping && !exp.spec.earlyStopping) {
    // Nothing to stop by: say so rather than silently training without a rule.
    throw new UserError(`--early-stopping: spec '${specPath}' has no earlyStopping section`)
  }
  if (a.save) checkNewFile(a.save, '--save', a.force)
  const backend = await load(a.backend)
  try {
    const engine = await resolveEngine(backend, { ...choice(a.engine, a.device), workload: workloadOf(exp) })
    const r = await runSingle(exp, backend, engine, { seed: a.seed, stage }, { signal: a.signal })
    const trial = r.trials[0]
    if (!trial) throw new Error('train ran no trial')
    if (a.save) {
      // export's rule: a model file of weights float32 cannot hold would not work.
      const problem = weightsProblem(trial.weights)
      if (problem && !a.force) {
        throw new UserError(
          `--save '${a.save}': ${plain(exp.spec.name)} ${trial.diverged ? 'diverged: its weights hold' : 'has weights that hold'} ${problem}; nothing saved (pass --force to save them anyway)`,
        )
      }
      await writeFiles(dirname(a.save), {
        [basename(a.save)]: exportOnnx(trainedModelOf(r, trial), onnxOptions(r)),
      })
    }
    return a.format === 'json' ? toJson(r) : trainText(r, trial, a, exp.holdout?.n ?? 0)
  } finally {
    await backend.dispose()
  }
}

export const trainCommand: Command = {
  name: 'train',
  register: (y: Argv, ctx: Context) =>
    y.command(
      'train',
      "Train one configuration (the spec's own values; grid and CV ignored) on one backend and print its loss curve",
      (o) =>
        dataOptions(o)
          .option('spec', {
            type: 'string',
            describe:
              'experiment spec file (JSON); --data alone trains a linear model, or a classifier for --task classification (a --y of text labels)',
          })
          .option('backend', { type: 'string', default: 'torch-style', describe: 'backend name or package' })
          .option('device', {
            choices: DEVICES,
            describe: "run on the backend's preferred engine for this device (--engine names one)",
          })
          .option('engine', {
            type: 'string',
            describe: `a backend's engine id (see \`${SCRIPT_NAME} backends\`)`,
          })
          .option('seed', {
            coerce: nonNegativeInt('seed'),
            default: 0,
            describe: "the run's seed (initial weights, batch order), instead of the spec's seeds",
          })
          .option('set', {
            type: 'string',
            array: true,
            describe: 'override a spec field, e.g. --set optimizer.lr=0.1',
          })
          .option('early-stopping', {
            type: 'boolean',
            default: false,
            describe: "apply the spec's earlyStopping rule",
          })
          .option('save', {
            type: 'string',
            coerce: pathOption('--save'),
            describe:
              "write the trained model as ONNX to this file (an existing file needs --force); a classifier's outputs each class's probability and names the classes",
          })
          .option('force', {
            type: 'boolean',
            default: false,
            describe: "overwrite an existing --save file; save a diverged model's NaN/Infinity weights",
          })
          .option('format', { choices: ['table', 'json'] as const, default: 'table' as const })
          .option('yes', {
            type: 'boolean',
            default: false,
            describe: `start a run over ${LIMITS.steps.toLocaleString('en-US')} optimizer steps without asking`,
          })
          .example(
            '$0 train --spec experiments/seed-torch.json --set optimizer.lr=0.1 --save model.onnx',
            "the article's PyTorch run",
          )
          .example(
            '$0 train --spec experiments/moons.json --save moons.onnx',
            "a classifier: accuracy per epoch; the model outputs each class's probability",
          ),
      (a) =>
        ctx.print(
          train({
            ...dataArgs(a),
            ...(a.spec ? { spec: a.spec } : {}),
            backend: a.backend,
            ...(a.device ? { device: a.device as Device } : {}),
            ...(a.engine ? { engine: a.engine } : {}),
            seed: a.seed,
            ...(a.set ? { set: a.set } : {}),
            earlyStopping: a['early-stopping'],
            ...(a.save ? { save: a.save } : {}),
            force: a.force,
            format: a.format,
            yes: a.yes,
            signal: ctx.signal,
            note: ctx.note,
          }),
        ),
    ),
}
