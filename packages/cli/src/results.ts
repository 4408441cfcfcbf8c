/** Reading results files (compare's results.json, train --format json): the one place that does. */
import { type ExperimentResult, parseResults } from '@dualfit/core'
import { readJson } from './io.js'

/**
 * The experiment results in a results file, validated (core's parseResults): an unreadable file,
 * bad JSON, an unknown schemaVersion or a malformed field is a one-line UserError naming the file.
 */
export function readResults(path: string): ExperimentResult[] {
  const label = `results file '${path}'`
  return parseResults(readJson(path, 'results file'), label)
}
