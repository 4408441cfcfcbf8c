/**
 * One measurement in its own process (`node dist/child.js JOB-JSON`), so that its peak RSS is its
 * own and no engine state leaks between rows. Loads only the backend it measures. Prints one result
 * line (RESULT_MARKER + JSON) on stdout; a failure exits 1 with its message on stderr.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import {
  type Backend,
  type ExperimentResult,
  prepareExperiment,
  runExperiment,
  runSingle,
} from '@dualfit/core'
import { fingerprint } from './identity.js'
import type {
  ChildOutput,
  Job,
  JobResult,
  ParallelResult,
  ProtocolsResult,
  ScalingResult,
  StepResult,
  StyleId,
} from './jobs.js'
import { RESULT_MARKER, SEED_SPECS } from './jobs.js'
import { workloadSpec } from './workloads.js'

const require = createRequire(import.meta.url)
const specPath = (name: string) => require.resolve(`@dualfit/experiments/${name}.json`)

async function createBackend(id: StyleId): Promise<Backend> {
  // Only the measured backend is loaded: TF.js or ONNX Runtime, never both, in one child's RSS.
  if (id === 'keras-style') return (await import('@dualfit/keras-style')).createBackend()
  return (await import('@dualfit/torch-style')).createBackend()
}

function readSpec(name: string, epochs: Record<string, number>): { raw: unknown; path: string } {
  const path = specPath(name)
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
  const e = epochs[name]
  return { raw: e === undefined ? raw : { ...raw, epochs: e }, path }
}

async function step(job: Extract<Job, { kind: 'step' }>): Promise<StepResult> {
  const rows =
    job.backend === 'keras-style'
      ? await (await import('./keras-style.js')).bench(job.engine, job)
      : await (await import('./torch-style.js')).bench(job.engine, job)
  return { rows }
}

async function protocols(
  job: Extract<Job, { kind: 'protocols' }>,
  backend: Backend,
): Promise<ProtocolsResult> {
  // As compare: every spec validated and loaded first, then run one after the other.
  const t0 = performance.now()
  const prepared = []
  for (const name of SEED_SPECS) {
    const t = performance.now()
    const { raw, path } = readSpec(name, job.epochs)
    prepared.push({
      name,
      exp: await prepareExperiment(raw, path, dirname(path)),
      prepareMs: performance.now() - t,
    })
  }
  const out: ProtocolsResult['protocols'] = []
  for (const { name, exp, prepareMs } of prepared) {
    const t = performance.now()
    const r = await runExperiment(exp, backend, job.engine)
    out.push({ name, ms: prepareMs + performance.now() - t, steps: r.totals.steps, trials: r.totals.trials })
  }
  return { protocols: out, totalMs: performance.now() - t0 }
}

async function scaling(job: Extract<Job, { kind: 'scaling' }>, backend: Backend): Promise<ScalingResult> {
  const t = performance.now()
  const exp = await prepareExperiment(
    workloadSpec(job.workload, job.csv, job.epochs),
    job.csv,
    dirname(job.csv),
  )
  const loadMs = performance.now() - t
  const r = await runSingle(exp, backend, job.engine, { seed: 0, stage: 'refit' })
  const trial = r.trials[0]
  if (!trial) throw new Error('runSingle ran no trial')
  return {
    trainMs: trial.timings.trainMs,
    epochsRun: trial.epochsRun,
    steps: trial.steps,
    setupMs: trial.timings.setupMs,
    loadMs,
    finalLoss: trial.finalLoss,
  }
}

async function parallel(job: Extract<Job, { kind: 'parallel' }>, backend: Backend): Promise<ParallelResult> {
  const { raw, path } = readSpec('seed-keras', job.epochs)
  const exp = await prepareExperiment(raw, path, dirname(path))
  const t0 = performance.now()
  let r: ExperimentResult
  if (job.workers > 1) {
    // As `compare --workers N`: the pool's start-up (workers loading the backend) is part of the time.
    const { TrialPool } = await import('@dualfit/core/pool')
    const pool = new TrialPool(job.workers, [import.meta.url])
    try {
      r = await runExperiment(exp, backend, job.engine, {
        run: pool.runner(exp, job.backend, job.engine),
        concurrency: pool.workers,
      })
    } finally {
      await pool.destroy()
    }
  } else {
    r = await runExperiment(exp, backend, job.engine)
  }
  return {
    ms: performance.now() - t0,
    workers: r.environment.workers,
    trials: r.totals.trials,
    steps: r.totals.steps,
    fingerprint: fingerprint(r),
    selected: r.selection.selected,
  }
}

async function run(job: Job): Promise<JobResult> {
  if (job.kind === 'step') return step(job)
  if (job.kind === 'bare') return (await import('./bare.js')).bareScaling(job)
  const backend = await createBackend(job.backend)
  try {
    switch (job.kind) {
      case 'protocols':
        return await protocols(job, backend)
      case 'scaling':
        return await scaling(job, backend)
      case 'parallel':
        return await parallel(job, backend)
    }
  } finally {
    await backend.dispose()
  }
}

const arg = process.argv[2]
if (arg === undefined) {
  process.stderr.write('usage: child.js JOB-JSON\n')
  process.exit(2)
}
try {
  const result = await run(JSON.parse(arg) as Job)
  const out: ChildOutput<JobResult> = { result, maxRssKb: process.resourceUsage().maxRSS }
  // Pipes are written synchronously on Linux: the line is out before the exit, and an engine's
  // lingering handle cannot keep the process (and the run) waiting.
  process.stdout.write(`\n${RESULT_MARKER}${JSON.stringify(out)}\n`)
  process.exit(0)
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
}
