/**
 * scaling: time per epoch of four workloads (N = 1e5 batch 32 and N = 1e6 full batch; Linear(1,1) and
 * an MLP 1-64-64-1 ReLU) through core's prepareExperiment + runSingle, each workload x engine in its own
 * process, next to PyTorch's loop on the same data. Each process's peak RSS feeds the memory suite.
 */

import type { Workload as CoreWorkload } from '@dualfit/core'
import { createBackend as kerasStyle } from '@dualfit/keras-style'
import { writeData } from '../data.js'
import type { ScalingResult } from '../jobs.js'
import { runPytorch } from '../pytorch.js'
import { formatValue, withRatio } from '../ratio.js'
import { runJob } from '../spawn.js'
import { mean } from '../stats.js'
import type { BenchRow } from '../types.js'
import { EPOCHS, rowsFor, WORKLOADS, type Workload, workloadLabel } from '../workloads.js'
import { type EngineRun, memoryRecord, pytorchMissing, type SuiteContext } from './context.js'

/** keras-style picks its engine per workload (as `dualfit compare` does): the targets judge that one. */
const chooser = kerasStyle().chooseEngine

function judged(e: EngineRun, w: Workload, n: number, engines: EngineRun[]): boolean {
  const work: CoreWorkload = {
    batchSize: w.batch === 'full' ? n : w.batch,
    inputs: 1,
    layers: [
      ...w.hidden.map((units) => ({ units, activation: 'relu' as const })),
      { units: 1, activation: 'linear' as const },
    ],
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

export async function scalingSuite(ctx: SuiteContext): Promise<BenchRow[]> {
  const epochs = EPOCHS[ctx.opts.quick ? 'quick' : 'full']
  const files = new Map<number, { csv: string; f32: string }>()
  const rows: BenchRow[] = []
  for (const w of WORKLOADS) {
    const n = rowsFor(w, ctx.opts.quick)
    let data = files.get(n)
    if (!data) {
      data = writeData(ctx.tmp, n)
      files.set(n, data)
    }
    const label = workloadLabel(w, n)
    // PyTorch first, then every engine: the rows of one workload are measured minutes apart at most.
    const py = ctx.pytorch.available
      ? await runPytorch<PyScaling>(
          ctx.pytorch.python,
          'scaling',
          { n, batch: w.batch, hidden: w.hidden, epochs, data: data.f32 },
          ctx.signal,
        )
      : null
    const pyWhy = pytorchMissing(ctx, py && !py.ok ? py.error : undefined)
    // Per-epoch time as dualfit's: the training time over the epochs (the first epoch's warm-up included).
    const pyEpoch = py?.ok ? mean(py.value.epochMs) : null
    if (pyEpoch !== null) ctx.progress(`scaling: ${label}: PyTorch ${formatValue(pyEpoch, 'ms/epoch')}/epoch`)
    else ctx.progress(`scaling: ${label}: no PyTorch figure (${pyWhy})`)
    for (const e of ctx.engines) {
      const isDefault = judged(e, w, n, ctx.engines)
      const r = await runJob<ScalingResult>(
        { kind: 'scaling', backend: e.backend, engine: e.engine, workload: w, epochs, csv: data.csv },
        ctx.signal,
      )
      ctx.memory.push(
        memoryRecord(
          { suite: 'scaling', key: `memory/scaling/${w.id}`, case: `scaling: ${label}` },
          e,
          r,
          { kb: py?.ok ? py.maxRssKb : null, why: pyWhy },
          isDefault,
        ),
      )
      const perEpoch = r.ok ? r.value.trainMs / r.value.epochsRun : null
      rows.push(
        withRatio({
          suite: 'scaling',
          key: `scaling/${w.id}`,
          case: label,
          backend: e.backend,
          engine: e.engine,
          default: isDefault,
          unit: 'ms/epoch',
          value: perEpoch,
          pytorch: pyEpoch,
          ...(pyEpoch === null ? { pytorchWhy: pyWhy } : {}),
          ...(r.ok
            ? {
                notes: `${r.value.epochsRun} epoch(s), ${r.value.steps.toLocaleString('en-US')} steps; setup ${formatValue(r.value.setupMs, 'ms')}, data ${formatValue(r.value.loadMs, 'ms')}`,
                detail: {
                  n,
                  epochs: r.value.epochsRun,
                  steps: r.value.steps,
                  trainMs: r.value.trainMs,
                  setupMs: r.value.setupMs,
                  loadMs: r.value.loadMs,
                  finalLoss: r.value.finalLoss,
                  pytorchSteps: py?.ok ? py.value.steps : null,
                },
              }
            : { error: r.error }),
        }),
      )
      ctx.progress(
        `scaling: ${label}: ${e.backend} ${e.engine} ${r.ok ? `${formatValue(perEpoch, 'ms/epoch')}/epoch` : `failed: ${r.error}`}`,
      )
    }
  }
  return rows
}
