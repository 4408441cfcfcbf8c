import { basename, dirname, join } from 'node:path'
import {
  type Backend,
  BUILTIN_BACKENDS,
  type TrainedModel,
  trainedModelOf,
  UserError,
  weightsProblem,
} from '@dualfit/core'
import { exportOnnx } from '@dualfit/onnx'
import { plain } from '@dualfit/report'
import type { Argv } from 'yargs'
import { load } from '../backend-choice.js'
import { checkNewFile, checkOutputDir, existing, FORCE, pathOption, writeFiles } from '../io.js'
import type { Command, Context } from '../options.js'
import { onnxOptions, readResults } from '../results.js'
import { SCRIPT_NAME } from '../script-name.js'

export interface ExportArgs {
  results: string
  out: string
  /** onnx: one .onnx file (backend-neutral); otherwise a format a backend saves into a folder, e.g. tfjs. */
  to: string
  backend?: string
  spec?: string
  trial?: string
  /** Overwrite an existing model; export a diverged trial's NaN/Infinity weights. */
  force?: boolean
}

/** The files of the first backend (by name) that saves `format`; the result's own backend comes first. */
async function saveWith(
  names: string[],
  format: string,
  model: TrainedModel,
): Promise<Record<string, Uint8Array>> {
  for (const name of [...new Set(names)]) {
    let backend: Backend
    try {
      backend = await load(name)
    } catch {
      continue // a result's backend need not be installed here
    }
    try {
      if (backend.saveFormats?.includes(format) && backend.save) return await backend.save(model, format)
    } finally {
      await backend.dispose()
    }
  }
  throw new UserError(
    `--to ${format}: no backend among ${[...new Set(names)].join(', ')} saves that format (onnx always works)`,
  )
}

/** Writes a trained model from a results file as ONNX or TF.js layers, without training again. */
export async function exportModel(a: ExportArgs): Promise<string> {
  // Where it goes is checked first: nothing is read, loaded or written for an --out that cannot be.
  if (a.to === 'onnx') checkNewFile(a.out, '--out', a.force)
  else checkOutputDir(a.out, '--out')
  const all = readResults(a.results)
  const matches = all.filter(
    (r) => (!a.backend || r.backend.id === a.backend) && (!a.spec || r.spec.name === a.spec),
  )
  const r = matches[0]
  if (!r) {
    const have = all.map((x) => `${x.spec.name}/${x.backend.id}`).join(', ')
    throw new UserError(
      `results file '${a.results}': no result for ${a.spec ?? 'any spec'} on ${a.backend ?? 'any backend'} (has ${have})`,
    )
  }
  const trial = a.trial
    ? r.trials.find((t) => t.id === a.trial)
    : (r.trials.find((t) => t.stage === 'refit') ?? r.trials.find((t) => t.stage === 'early-stopping'))
  if (!trial) {
    throw new UserError(
      `--trial ${a.trial ?? '(refit)'}: not in ${r.spec.name}/${r.backend.id} (trials: ${r.trials.map((t) => t.id).join(', ')})`,
    )
  }
  const what = `${r.spec.name}/${r.backend.id} trial ${trial.id}`
  const problem = weightsProblem(trial.weights)
  if (problem && !a.force) {
    throw new UserError(
      `results file '${a.results}': ${what} ${trial.diverged ? 'diverged: its weights hold' : 'has weights that hold'} ${problem}; pick another with --trial, or pass --force to export them anyway`,
    )
  }
  const model = trainedModelOf(r, trial)
  if (a.to !== 'onnx') {
    const files = await saveWith([r.backend.id, ...BUILTIN_BACKENDS], a.to, model)
    const taken = existing(Object.keys(files).map((name) => join(a.out, name)))
    if (taken.length > 0 && !a.force)
      throw new UserError(
        `--out '${a.out}': ${taken.map((p) => `'${p}'`).join(', ')} already there; ${FORCE}`,
      )
    const written = await writeFiles(a.out, files)
    return `${plain(`exported ${what} as ${a.to} to ${written.join(' and ')}`)}\n`
  }
  const bytes = exportOnnx(model, onnxOptions(r))
  await writeFiles(dirname(a.out), { [basename(a.out)]: bytes })
  return `${plain(`exported ${what} to ${a.out} (${bytes.length} bytes)`)}\n`
}

export const exportCommand: Command = {
  name: 'export',
  register: (y: Argv, ctx: Context) =>
    y.command(
      'export',
      "Write a trained model from a results file (compare --out, or train --format json) as ONNX or a backend's own format; a classifier's ONNX model outputs each class's probability and names the classes",
      (o) =>
        o
          .option('results', { type: 'string', demandOption: true, describe: 'results.json' })
          .option('out', {
            type: 'string',
            demandOption: true,
            coerce: pathOption('--out'),
            describe: '.onnx file, or a folder for other formats',
          })
          .option('to', {
            type: 'string',
            default: 'onnx',
            describe: `onnx, or a format a backend saves (see \`${SCRIPT_NAME} backends\`): tfjs (keras-style), pt (pytorch)`,
          })
          .option('backend', { type: 'string', describe: "which backend's result (default: the first)" })
          .option('spec', { type: 'string', describe: 'which spec name (default: the first)' })
          .option('trial', { type: 'string', describe: 'trial id, e.g. refit/p2/s0 (default: the refit)' })
          .option('force', {
            type: 'boolean',
            default: false,
            describe:
              "overwrite an existing model (the .onnx file, or the format's files in the folder); export a diverged trial's NaN/Infinity weights",
          })
          .example(
            '$0 export --results out/results.json --backend torch-style --out model.onnx',
            "torch-style's refit model, without training again",
          )
          .example(
            '$0 export --results out/results.json --to tfjs --out keras-model/',
            'TF.js layers format',
          ),
      (a) =>
        ctx.print(
          exportModel({
            results: a.results,
            out: a.out,
            to: a.to,
            ...(a.backend ? { backend: a.backend } : {}),
            ...(a.spec ? { spec: a.spec } : {}),
            ...(a.trial ? { trial: a.trial } : {}),
            force: a.force,
          }),
        ),
    ),
}
