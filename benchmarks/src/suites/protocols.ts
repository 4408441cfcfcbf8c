/**
 * protocols: wall time of the seed's two protocols through core (prepareExperiment + runExperiment,
 * as `compare` runs them), per style and engine, vs PyTorch running the same protocols as plain loops.
 */
import { type ProtocolsResult, SEED_SPECS } from '../jobs.js'
import { runPytorch } from '../pytorch.js'
import { withRatio } from '../ratio.js'
import { type Outcome, runJob } from '../spawn.js'
import type { BenchRow } from '../types.js'
import { type EngineRun, memoryRecord, pytorchMissing, type SuiteContext } from './context.js'

interface PyProtocols {
  protocols: Record<string, { ms: number; steps: number; lr: number }>
}

/** Epochs per protocol: the specs' own (500 and 100), a tenth for --quick. */
export function protocolEpochs(quick: boolean): Record<string, number> {
  return quick ? { 'seed-keras': 50, 'seed-torch': 10 } : { 'seed-keras': 500, 'seed-torch': 100 }
}

export function protocolLabel(name: string, epochs: Record<string, number>): string {
  if (name === 'seed-keras')
    return `seed-keras: 6 lr x 3-fold CV x ${epochs[name]} epochs, batch 1, + refit + early stopping`
  if (name === 'seed-torch')
    return `seed-torch: 3 lr x ${epochs[name]} epochs, full batch, + refit + early stopping`
  return 'both protocols (one style)'
}

/** PyTorch's figures for the protocols, or why there are none. */
async function pytorchProtocols(ctx: SuiteContext, epochs: Record<string, number>) {
  const py = ctx.pytorch.available
    ? await runPytorch<PyProtocols>(
        ctx.pytorch,
        'protocols',
        { kerasEpochs: epochs['seed-keras'], torchEpochs: epochs['seed-torch'] },
        ctx.signal,
      )
    : null
  const of = (name: string) => (py?.ok ? (py.value.protocols[name] ?? null) : null)
  return {
    why: pytorchMissing(ctx, py && !py.ok ? py.error : undefined),
    of,
    total: py?.ok ? SEED_SPECS.reduce((a, n) => a + (of(n)?.ms ?? Number.NaN), 0) : null,
    steps: py?.ok ? SEED_SPECS.reduce((a, n) => a + (of(n)?.steps ?? 0), 0) : null,
    kb: py?.ok ? py.maxRssKb : null,
  }
}

type PyFigures = Awaited<ReturnType<typeof pytorchProtocols>>

/** An engine's rows: one per protocol and both together, or one failed row. */
function engineRows(
  e: EngineRun,
  r: Outcome<ProtocolsResult>,
  py: PyFigures,
  epochs: Record<string, number>,
): BenchRow[] {
  const base = { suite: 'protocols' as const, backend: e.backend, engine: e.engine, default: e.default }
  const unit = 'ms' as const
  const missing = (v: number | null) => (v === null ? { pytorchWhy: py.why } : {})
  const both = {
    ...base,
    unit,
    key: 'protocols/both',
    case: protocolLabel('both', epochs),
    pytorch: py.total,
  }
  if (!r.ok) return [withRatio({ ...both, value: null, ...missing(py.total), error: r.error })]
  const rows: BenchRow[] = []
  let steps = 0
  for (const p of r.value.protocols) {
    const ref = py.of(p.name)
    steps += p.steps
    rows.push(
      withRatio({
        ...base,
        unit,
        key: `protocols/${p.name}`,
        case: protocolLabel(p.name, epochs),
        value: p.ms,
        pytorch: ref?.ms ?? null,
        ...missing(ref?.ms ?? null),
        notes: `${p.trials} trials, ${p.steps.toLocaleString('en-US')} steps${ref ? ` (PyTorch ${ref.steps.toLocaleString('en-US')}, lr ${ref.lr})` : ''}`,
        detail: { trials: p.trials, steps: p.steps, pytorchSteps: ref?.steps ?? null },
      }),
    )
  }
  rows.push(
    withRatio({
      ...both,
      value: r.value.totalMs,
      ...missing(py.total),
      notes: `${steps.toLocaleString('en-US')} steps${py.steps !== null ? ` (PyTorch ${py.steps.toLocaleString('en-US')})` : ''}`,
      detail: { steps, pytorchSteps: py.steps },
    }),
  )
  return rows
}

/** The protocols' PyTorch ratio is information: no target judges it (see README, Targets). */
export async function protocolsSuite(ctx: SuiteContext): Promise<BenchRow[]> {
  const epochs = protocolEpochs(ctx.opts.quick)
  const py = await pytorchProtocols(ctx, epochs)
  if (py.total !== null) ctx.progress(`protocols: PyTorch ${(py.total / 1000).toFixed(2)} s`)
  const rows: BenchRow[] = []
  for (const e of ctx.engines) {
    const r = await runJob<ProtocolsResult>(
      { kind: 'protocols', backend: e.backend, engine: e.engine, epochs },
      ctx.signal,
    )
    const what = {
      suite: 'protocols' as const,
      key: 'memory/protocols',
      case: "protocols: the seed's two protocols, one process",
    }
    ctx.memory.push(memoryRecord(what, e, r, { kb: py.kb, why: py.why }))
    rows.push(...engineRows(e, r, py, epochs))
    ctx.progress(
      `protocols: ${e.backend} ${e.engine} ${r.ok ? `${(r.value.totalMs / 1000).toFixed(2)} s` : `failed: ${r.error}`}`,
    )
  }
  return rows
}
