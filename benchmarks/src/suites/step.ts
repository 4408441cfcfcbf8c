/** step: µs per optimizer step on the seed data, batch 7 and 1, per backend and engine, vs PyTorch's loop. */
import { STEP_CHUNKS, type StepResult } from '../jobs.js'
import { runPytorch } from '../pytorch.js'
import { withRatio } from '../ratio.js'
import { runJob } from '../spawn.js'
import { median } from '../stats.js'
import type { BenchRow } from '../types.js'
import { memoryRecord, pytorchMissing, type SuiteContext } from './context.js'

interface PyStep {
  cases: { batch: number; steps: number; chunkUs: number[] }[]
}

export async function stepSuite(ctx: SuiteContext): Promise<BenchRow[]> {
  const chunks = STEP_CHUNKS[ctx.opts.quick ? 'quick' : 'full']
  const py = ctx.pytorch.available
    ? await runPytorch<PyStep>(ctx.pytorch, 'step', { ...chunks }, ctx.signal)
    : null
  const pyWhy = pytorchMissing(ctx, py && !py.ok ? py.error : undefined)
  const pyUs = (batch: number) => {
    const c = py?.ok ? py.value.cases.find((x) => x.batch === batch) : undefined
    return c ? median(c.chunkUs) : null
  }
  if (py?.ok) {
    ctx.progress(`step: PyTorch ${[7, 1].map((b) => `batch ${b} ${pyUs(b)?.toFixed(1)} µs`).join(', ')}`)
  }
  const rows: BenchRow[] = []
  for (const e of ctx.engines) {
    const r = await runJob<StepResult>(
      { kind: 'step', backend: e.backend, engine: e.engine, quick: ctx.opts.quick },
      ctx.signal,
    )
    ctx.memory.push(
      memoryRecord(
        { suite: 'step', key: 'memory/step', case: 'step: seed data, batch 7 and 1, one process' },
        e,
        r,
        { kb: py?.ok ? py.maxRssKb : null, why: pyWhy },
      ),
    )
    const base = {
      suite: 'step' as const,
      backend: e.backend,
      engine: e.engine,
      default: e.default,
      unit: 'µs/step' as const,
    }
    if (!r.ok) {
      rows.push(
        withRatio({
          ...base,
          key: 'step/error',
          case: 'step suite',
          value: null,
          pytorch: null,
          pytorchWhy: pyWhy,
          error: r.error,
        }),
      )
      ctx.progress(`step: ${e.backend} ${e.engine} failed: ${r.error}`)
      continue
    }
    for (const m of r.value.rows) {
      const pytorch = pyUs(m.batch)
      rows.push(
        withRatio({
          ...base,
          key: m.key,
          case: m.case,
          value: m.usPerStep,
          pytorch,
          ...(pytorch === null ? { pytorchWhy: pyWhy } : {}),
          ...(m.notes ? { notes: m.notes } : {}),
          detail: { steps: m.steps, batch: m.batch },
        }),
      )
    }
    ctx.progress(`step: ${e.backend} ${e.engine} done`)
  }
  return rows
}
