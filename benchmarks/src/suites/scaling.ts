/**
 * scaling: time per epoch of five workloads (N = 1e5 batch 32 and N = 1e6 full batch; Linear(1,1) and
 * an MLP 1-64-64-1 ReLU; a 10-class MLP 64-128-10 under cross_entropy, batch 128) through core's
 * prepareExperiment + runSingle, each workload x engine in its own
 * process, next to the engine's bare loop on the same work (bare.ts, a process of its own too) and
 * PyTorch's loop on the same data. Each process's peak RSS feeds the memory suite.
 */

import type { Workload as CoreWorkload } from '@dualfit/core'
import { createBackend as kerasStyle } from '@dualfit/keras-style'
import { writeData } from '../data.js'
import type { Job, ScalingResult } from '../jobs.js'
import { runPytorch } from '../pytorch.js'
import { formatValue, withRatio } from '../ratio.js'
import { type Outcome, runJob } from '../spawn.js'
import { mean } from '../stats.js'
import { OVERHEAD_LIMIT } from '../targets.js'
import type { BenchRow } from '../types.js'
import { EPOCHS, rowsFor, WORKLOADS, type Workload, workloadLabel, workloadLayers } from '../workloads.js'
import { type EngineRun, memoryRecord, pytorchMissing, type SuiteContext } from './context.js'

/** keras-style picks its engine per workload (as `dualfit compare` does): the targets judge that one. */
const chooser = kerasStyle().chooseEngine

function judged(e: EngineRun, w: Workload, n: number, engines: EngineRun[]): boolean {
  const work: CoreWorkload = {
    batchSize: w.batch === 'full' ? n : w.batch,
    inputs: w.inputs,
    layers: workloadLayers(w),
  }
  const pick = e.backend === 'keras-style' ? chooser?.(work).engine : undefined
  const offered = pick !== undefined && engines.some((x) => x.backend === e.backend && x.engine === pick)
  return offered ? e.engine === pick : e.default
}

interface PyScaling {
  epochMs: number[]
  setupMs: number
  steps: number
  loss: number[]
}

/** PyTorch's time per epoch for a workload, or why there is none. */
async function pytorchEpoch(ctx: SuiteContext, w: Workload, n: number, epochs: number, f32: string) {
  const py = ctx.pytorch.available
    ? await runPytorch<PyScaling>(
        ctx.pytorch,
        'scaling',
        { n, batch: w.batch, inputs: w.inputs, hidden: w.hidden, classes: w.classes, epochs, data: f32 },
        ctx.signal,
      )
    : null
  const why = pytorchMissing(ctx, py && !py.ok ? py.error : undefined)
  // Per-epoch time as dualfit's: the training time over the epochs (the first epoch's warm-up included).
  const epochMs = py?.ok ? mean(py.value.epochMs) : null
  return { epochMs, why, kb: py?.ok ? py.maxRssKb : null, steps: py?.ok ? py.value.steps : null }
}

const perEpoch = (r: Outcome<ScalingResult>) => (r.ok ? r.value.trainMs / r.value.epochsRun : null)

type Outcomes = {
  r: Outcome<ScalingResult>
  bare: Outcome<ScalingResult>
  /** How many times the pair was measured (the fastest of each side kept). */
  runs: number
}

function over({ r, bare }: Outcomes): boolean {
  const [a, b] = [perEpoch(r), perEpoch(bare)]
  return a !== null && b !== null && a / b > OVERHEAD_LIMIT
}

/** The run with the lower time per epoch (a failed run loses). */
function faster(a: Outcome<ScalingResult>, b: Outcome<ScalingResult>): Outcome<ScalingResult> {
  const [x, y] = [perEpoch(a), perEpoch(b)]
  return x === null || (y !== null && y < x) ? b : a
}

/** dualfit's run of a workload on an engine, then the bare loop's, each in a process of its own. */
async function measurePair(
  ctx: SuiteContext,
  job: Pick<Extract<Job, { kind: 'bare' }>, 'backend' | 'engine' | 'workload' | 'epochs'>,
  data: { csv: string; f32: string },
  judged: boolean,
  label: string,
): Promise<Outcomes> {
  const measure = async (): Promise<Outcomes> => ({
    r: await runJob<ScalingResult>({ kind: 'scaling', ...job, csv: data.csv }, ctx.signal),
    bare: await runJob<ScalingResult>({ kind: 'bare', ...job, f32: data.f32 }, ctx.signal),
    runs: 1,
  })
  let best = await measure()
  // A judged overhead over the limit is measured again, up to twice, each side keeping its fastest
  // run: a regression fails every time, a slow spell of this shared machine rarely hits them all.
  for (let retry = 0; retry < 2 && judged && over(best); retry++) {
    ctx.progress(`scaling: ${label}: ${job.backend} ${job.engine} over the overhead limit; measuring again`)
    const again = await measure()
    best = { r: faster(best.r, again.r), bare: faster(best.bare, again.bare), runs: best.runs + 1 }
  }
  return best
}

/** One row: dualfit's time per epoch next to the bare loop's and PyTorch's. */
function scalingRow(
  w: Workload,
  n: number,
  e: EngineRun,
  judged: boolean,
  { r, bare, runs }: Outcomes,
  py: Awaited<ReturnType<typeof pytorchEpoch>>,
): BenchRow {
  const value = perEpoch(r)
  const note = (x: ScalingResult) =>
    `${x.epochsRun} epoch(s), ${x.steps.toLocaleString('en-US')} steps; setup ${formatValue(x.setupMs, 'ms')}, data ${formatValue(x.loadMs, 'ms')}${runs > 1 ? `; fastest of ${runs} runs each` : ''}`
  return withRatio({
    suite: 'scaling',
    key: `scaling/${w.id}`,
    case: workloadLabel(w, n),
    backend: e.backend,
    engine: e.engine,
    default: judged,
    unit: 'ms/epoch',
    value,
    pytorch: py.epochMs,
    ...(py.epochMs === null ? { pytorchWhy: py.why } : {}),
    bare: perEpoch(bare),
    ...(bare.ok ? {} : { bareWhy: `bare loop failed: ${bare.error}` }),
    ...(r.ok
      ? {
          notes: note(r.value),
          detail: {
            n,
            epochs: r.value.epochsRun,
            steps: r.value.steps,
            trainMs: r.value.trainMs,
            setupMs: r.value.setupMs,
            loadMs: r.value.loadMs,
            finalLoss: r.value.finalLoss,
            bareTrainMs: bare.ok ? bare.value.trainMs : null,
            bareFinalLoss: bare.ok ? bare.value.finalLoss : null,
            pytorchSteps: py.steps,
          },
        }
      : { error: r.error }),
  })
}

export async function scalingSuite(ctx: SuiteContext): Promise<BenchRow[]> {
  const epochs = EPOCHS[ctx.opts.quick ? 'quick' : 'full']
  const files = new Map<string, { csv: string; f32: string }>()
  const rows: BenchRow[] = []
  for (const w of WORKLOADS) {
    const n = rowsFor(w, ctx.opts.quick)
    const shape = `${n}-${w.inputs}-${w.classes}`
    let data = files.get(shape)
    if (!data) {
      data = writeData(ctx.tmp, n, w)
      files.set(shape, data)
    }
    const label = workloadLabel(w, n)
    // PyTorch first, then every engine (dualfit, then its bare loop): the rows of one workload are
    // measured minutes apart at most.
    const py = await pytorchEpoch(ctx, w, n, epochs, data.f32)
    if (py.epochMs !== null)
      ctx.progress(`scaling: ${label}: PyTorch ${formatValue(py.epochMs, 'ms/epoch')}/epoch`)
    else ctx.progress(`scaling: ${label}: no PyTorch figure (${py.why})`)
    for (const e of ctx.engines) {
      const isDefault = judged(e, w, n, ctx.engines)
      const job = { backend: e.backend, engine: e.engine, workload: w, epochs }
      // A software GPU adapter's figures are never judged, so never measured again either.
      const pair = await measurePair(ctx, job, data, isDefault && !e.software, label)
      const { r, bare } = pair
      const what = { suite: 'scaling' as const, key: `memory/scaling/${w.id}`, case: `scaling: ${label}` }
      ctx.memory.push(memoryRecord(what, e, r, { kb: py.kb, why: py.why }, isDefault, bare))
      rows.push(scalingRow(w, n, e, isDefault, pair, py))
      const fig = (x: Outcome<ScalingResult>) =>
        x.ok ? `${formatValue(perEpoch(x), 'ms/epoch')}/epoch` : `failed: ${x.error}`
      ctx.progress(
        `scaling: ${label}: ${e.backend} ${e.engine} ${fig(r)}, bare ${e.backend === 'keras-style' ? 'TF.js' : 'ORT'} loop ${fig(bare)}`,
      )
    }
  }
  return rows
}
