/** Reading results files (compare's results.json, train --format json) through core's codec. */
import { type ExperimentResult, parseResults, type ReadOptions } from '@dualfit/core'
import { readJson } from './io.js'

/**
 * The experiment results in a results file, validated for its reader (core's parseResults): an
 * unreadable file, bad JSON, an unknown schemaVersion or a malformed field is a one-line UserError
 * naming the file.
 */
export function readResults(path: string, options?: ReadOptions): ExperimentResult[] {
  return parseResults(readJson(path, 'results file'), `results file '${path}'`, options)
}
