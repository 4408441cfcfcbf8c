import type { Backend } from './backend.js'
import { type Experiment, prepareExperiment } from './plan.js'
import { loadBackend } from './registry.js'
import type { Trial, TrialResult } from './results.js'
import { runTrial } from './trial.js'

export interface TrialTask {
  raw: unknown
  source: string
  baseDir: string
  backend: string
  engine: string
  from: string[]
  trial: Trial
}

// One worker serves many trials: keep what is costly to build.
const experiments = new Map<string, Experiment>()
const backends = new Map<string, Promise<Backend>>()

export default async function runTask(task: TrialTask): Promise<TrialResult> {
  const key = `${task.baseDir}\n${task.source}\n${JSON.stringify(task.raw)}`
  let exp = experiments.get(key)
  if (!exp) {
    exp = await prepareExperiment(task.raw, task.source, task.baseDir)
    experiments.set(key, exp)
  }
  let backend = backends.get(task.backend)
  if (!backend) {
    backend = loadBackend(task.backend, task.from)
    backends.set(task.backend, backend)
  }
  return runTrial(exp, task.trial, await backend, task.engine)
}
