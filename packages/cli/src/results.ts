/** Reading results files (compare's results.json, train --format json) through core's codec. */
import {
  classificationLoss,
  type ExperimentResult,
  isObject,
  type LossName,
  parseResults,
  type ReadOptions,
  UserError,
} from '@dualfit/core'
import type { ExportOptions } from '@dualfit/onnx'
import { readJson } from './io.js'

/**
 * The experiment results in a results file, validated for its reader (core's parseResults): an
 * unreadable file, bad JSON, an unknown schemaVersion or a malformed field is a one-line UserError
 * naming the file.
 */
export function readResults(path: string, options?: ReadOptions): ExperimentResult[] {
  return parseResults(readJson(path, 'results file'), `results file '${path}'`, options)
}

/** How a result's model is exported: a classifier's ONNX model outputs probabilities and names its classes. */
export function onnxOptions(r: Pick<ExperimentResult, 'data' | 'spec'>): ExportOptions {
  // A results file's data block is optional to export (older files, hand-made ones).
  const classes = r.data?.classes
  if (classes) return { classification: { classes, probabilities: true } }
  const loss = isObject(r.spec.loss) ? r.spec.loss.name : undefined
  if (typeof loss === 'string' && classificationLoss(loss as LossName))
    throw new UserError(`data.classes: expected the class names of a ${loss} model, got nothing`)
  return {}
}
