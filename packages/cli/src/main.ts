import { availableParallelism } from 'node:os'
import { type Device, isUserError, UserError } from '@dualfit/core'
import { TABLE_FORMATS } from '@dualfit/data'
import yargs, { type Argv } from 'yargs'
import { listBackends } from './commands/backends.js'
import { compare, type Format } from './commands/compare.js'
import { listDatasets } from './commands/datasets.js'
import { exportModel } from './commands/export.js'
import { predict } from './commands/predict.js'
import { train } from './commands/train.js'

const DEVICES = ['cpu', 'wasm', 'gpu'] as const
const FORMATS = ['table', 'json', 'md', 'csv'] as const

class Interrupted extends Error {}

/** --data and its column options, shared by compare and train. */
function dataOptions<T>(y: Argv<T>) {
  return y
    .option('data', {
      type: 'string',
      describe: "a CSV, TSV, JSON or JSONL file with a header row; replaces the spec's dataset",
    })
    .option('x', {
      type: 'string',
      array: true,
      describe: 'input column(s) of --data, comma-separated',
    })
    .option('y', { type: 'string', array: true, describe: 'target column(s) of --data, comma-separated' })
    .option('format-data', {
      choices: TABLE_FORMATS,
      describe: 'the data file format (default: from its extension)',
    })
    .option('drop-missing', {
      type: 'boolean',
      describe: 'drop rows with an empty input or target cell (default: fail on the first one)',
    })
}

function dataArgs(a: {
  data?: string
  x?: string[]
  y?: string[]
  formatData?: string
  dropMissing?: boolean
}) {
  return {
    ...(a.data !== undefined ? { data: a.data } : {}),
    ...(a.x ? { x: a.x.map(String) } : {}),
    ...(a.y ? { y: a.y.map(String) } : {}),
    ...(a.formatData !== undefined ? { formatData: a.formatData } : {}),
    ...(a.dropMissing !== undefined ? { dropMissing: a.dropMissing } : {}),
  }
}

function positiveInt(name: string) {
  return (v: unknown) => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 1)
      throw new UserError(`--${name}: expected a positive integer, got '${v}'`)
    return n
  }
}

function nonNegativeInt(name: string) {
  return (v: unknown) => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0) throw new UserError(`--${name}: expected an integer >= 0, got '${v}'`)
    return n
  }
}

/** Runs the CLI; resolves to the exit code. Output goes to the given writers (stdout/stderr by default). */
export async function main(
  argv: string[],
  io: { out: (s: string) => void; err: (s: string) => void } = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  },
): Promise<number> {
  const ac = new AbortController()
  const onSigint = () => ac.abort(new Interrupted())
  process.once('SIGINT', onSigint)
  let code = 0
  const run = (job: Promise<string>) => job.then(io.out)
  const parser = yargs(argv)
    .scriptName('dualfit')
    .usage(
      '$0 <command> [options]\n\nThe same small regression experiment on keras-style (TensorFlow.js) and torch-style (ONNX Runtime) backends.',
    )
    .command(
      'compare',
      "Run experiment specs on several backends and compare them (default: the seed's two protocols on keras-style and torch-style)",
      (y) =>
        dataOptions(y)
          .option('spec', {
            type: 'string',
            array: true,
            describe: 'experiment spec file (JSON); repeatable',
          })
          .option('backends', {
            type: 'string',
            array: true,
            describe: 'backend names or packages, comma-separated or repeated; name:engine picks an engine',
          })
          .option('device', {
            choices: DEVICES,
            describe: 'run every backend on its preferred engine for this device',
          })
          .option('seeds', {
            coerce: positiveInt('seeds'),
            describe: "run seeds 0..N-1 instead of the spec's seeds",
          })
          .option('set', {
            type: 'string',
            array: true,
            describe: 'override a spec field, e.g. --set epochs=50',
          })
          .option('out', {
            type: 'string',
            describe: 'also write results.json, results.md and results.csv to this folder',
          })
          .option('workers', {
            coerce: positiveInt('workers'),
            default: 1,
            // Parallel trials share the CPUs, which inflates their per-step times: opt-in only.
            describe: `worker threads for trials (up to ${availableParallelism()} here); results are identical, per-step times less clean`,
          })
          .option('format', { choices: FORMATS, default: 'table' as Format, describe: 'stdout format' })
          .option('quiet', { type: 'boolean', default: false, describe: 'no progress bar' })
          .example('$0 compare', "the seed's two protocols on both backends")
          .example(
            '$0 compare --spec experiments/seed-torch.json --seeds 5 --device wasm',
            'five seeds on the wasm engines',
          )
          .example(
            '$0 compare --backends torch-style:cpu,torch-style:wasm --format md --out results/',
            'engines side by side, saved',
          )
          .example('$0 compare --workers 2', 'trials on two worker threads: faster, same results')
          .example(
            '$0 compare --data cars.csv --x Horsepower,Weight_in_lbs --y Miles_per_Gallon --drop-missing',
            'your data: a linear model, standardized, 20% held out for test, lr by 5-fold CV',
          ),
      (a) =>
        run(
          compare({
            ...dataArgs(a),
            ...(a.spec ? { spec: a.spec } : {}),
            ...(a.backends ? { backends: a.backends } : {}),
            ...(a.device ? { device: a.device as Device } : {}),
            ...(a.seeds !== undefined ? { seeds: a.seeds } : {}),
            ...(a.set ? { set: a.set } : {}),
            ...(a.out ? { out: a.out } : {}),
            workers: a.workers as number,
            format: a.format as Format,
            quiet: a.quiet,
            signal: ac.signal,
          }),
        ),
    )
    .command(
      'train',
      "Train one configuration (the spec's own values; grid and CV ignored) on one backend and print its loss curve",
      (y) =>
        dataOptions(y)
          .option('spec', {
            type: 'string',
            describe: 'experiment spec file (JSON); --data alone trains a linear model',
          })
          .option('backend', { type: 'string', default: 'torch-style', describe: 'backend name or package' })
          .option('device', { choices: DEVICES })
          .option('engine', { type: 'string', describe: "a backend's engine id (see `dualfit backends`)" })
          .option('seed', { coerce: nonNegativeInt('seed'), default: 0 })
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
          .option('save', { type: 'string', describe: 'write the trained model as ONNX to this file' })
          .option('format', { choices: ['table', 'json'] as const, default: 'table' as const })
          .example(
            '$0 train --spec experiments/seed-torch.json --set optimizer.lr=0.1 --save model.onnx',
            "the article's PyTorch run",
          ),
      (a) =>
        run(
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
            format: a.format,
            signal: ac.signal,
          }),
        ),
    )
    .command(
      'predict',
      'Predict with an ONNX regression model (exported by dualfit or made elsewhere, e.g. torch.onnx.export)',
      (y) =>
        y
          .option('model', { type: 'string', demandOption: true, describe: '.onnx file' })
          .option('x', {
            type: 'string',
            array: true,
            demandOption: true,
            describe: 'an input row; comma-separated for several inputs; repeatable',
          })
          .option('engine', {
            choices: ['cpu', 'wasm'] as const,
            default: 'cpu' as const,
            describe: 'onnxruntime-node (cpu) or onnxruntime-web (wasm)',
          })
          .option('format', { choices: ['table', 'json'] as const, default: 'table' as const })
          .example('$0 predict --model model.onnx --x 100 --x 200', 'two predictions'),
      (a) => run(predict({ model: a.model, x: a.x.map(String), engine: a.engine, format: a.format })),
    )
    .command(
      'export',
      'Write a trained model from a results file (compare --out, or train --format json) as ONNX or TF.js layers format',
      (y) =>
        y
          .option('results', { type: 'string', demandOption: true, describe: 'results.json' })
          .option('out', {
            type: 'string',
            demandOption: true,
            describe: '.onnx file, or a folder with --to tfjs',
          })
          .option('to', {
            choices: ['onnx', 'tfjs'] as const,
            default: 'onnx' as const,
            describe: 'file format',
          })
          .option('backend', { type: 'string', describe: "which backend's result (default: the first)" })
          .option('spec', { type: 'string', describe: 'which spec name (default: the first)' })
          .option('trial', { type: 'string', describe: 'trial id, e.g. refit/p2/s0 (default: the refit)' })
          .example(
            '$0 export --results out/results.json --backend torch-style --out model.onnx',
            "torch-style's refit model, without training again",
          ),
      (a) =>
        run(
          exportModel({
            results: a.results,
            out: a.out,
            to: a.to,
            ...(a.backend ? { backend: a.backend } : {}),
            ...(a.spec ? { spec: a.spec } : {}),
            ...(a.trial ? { trial: a.trial } : {}),
          }),
        ),
    )
    .command(
      'datasets',
      'List the built-in datasets with their rows and columns',
      (y) => y.option('format', { choices: ['table', 'json'] as const, default: 'table' as const }),
      (a) => run(Promise.resolve(listDatasets(a.format))),
    )
    .command(
      'backends',
      'List backends with their engines, whether each is available here, and why not',
      (y) =>
        y
          .option('backends', {
            type: 'string',
            array: true,
            describe: 'backend names or packages (default: the built-in two)',
          })
          .option('format', { choices: ['table', 'json'] as const, default: 'table' as const }),
      (a) => run(listBackends({ ...(a.backends ? { backends: a.backends } : {}), format: a.format })),
    )
    .demandCommand(1, 'name a command: compare, train, predict, export, datasets or backends')
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(120, process.stdout.columns || 120))
    .exitProcess(false)
    .fail((msg, err) => {
      // yargs wraps errors from coerce(); usage errors arrive as multi-line text.
      if (err && isUserError(err)) throw err
      throw new UserError((err?.message ?? msg).replace(/\s*\n\s*/g, ' '))
    })
  try {
    await parser.parseAsync()
  } catch (e) {
    if (e instanceof Interrupted || ac.signal.aborted) {
      io.err('dualfit: interrupted; no result files were written\n')
      code = 130
    } else if (isUserError(e)) {
      io.err(`dualfit: ${e.problems.join('\ndualfit: ')}\n`)
      code = 2
    } else {
      io.err(`dualfit: internal error: ${(e as Error).message}\n`)
      if (process.env.DUALFIT_DEBUG) io.err(`${(e as Error).stack}\n`)
      code = 1
    }
  } finally {
    process.removeListener('SIGINT', onSigint)
  }
  return code
}
