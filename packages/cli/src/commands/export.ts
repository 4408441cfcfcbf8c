import { basename, dirname } from 'node:path'
import { type ExperimentResult, trainedModelOf, UserError } from '@dualfit/core'
import { saveLayersModel } from '@dualfit/keras-style'
import { exportOnnx } from '@dualfit/onnx'
import { readJson, writeFiles } from '../io.js'

export interface ExportArgs {
  results: string
  out: string
  /** onnx: one .onnx file; tfjs: a folder with TF.js layers format (model.json + weights.bin). */
  to: 'onnx' | 'tfjs'
  backend?: string
  spec?: string
  trial?: string
}

/** Experiment results inside a compare output, a train output, or a list of them. */
function experimentsIn(doc: unknown): ExperimentResult[] {
  const d = doc as { kind?: string; results?: unknown[] }
  const list = d?.kind === 'dualfit.compare' ? d.results : Array.isArray(doc) ? doc : [doc]
  return (list ?? []).filter(
    (r): r is ExperimentResult => (r as ExperimentResult)?.kind === 'dualfit.experiment',
  )
}

/** Writes a trained model from a results file as ONNX or TF.js layers, without training again. */
export async function exportModel(a: ExportArgs): Promise<string> {
  const all = experimentsIn(readJson(a.results, 'results file'))
  if (all.length === 0)
    throw new UserError(`results file '${a.results}': no dualfit experiment results in it`)
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
  const model = trainedModelOf(r, trial)
  const what = `${r.spec.name}/${r.backend.id} trial ${trial.id}`
  if (a.to === 'tfjs') {
    const files = await saveLayersModel(model, a.out)
    return `exported ${what} as TF.js layers format to ${files.modelJson} and ${files.weightsBin}\n`
  }
  const bytes = exportOnnx(model)
  await writeFiles(dirname(a.out), { [basename(a.out)]: bytes })
  return `exported ${what} to ${a.out} (${bytes.length} bytes)\n`
}
