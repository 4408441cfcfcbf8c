/**
 * protocols: wall time of the seed's two protocols through core (prepareExperiment + runExperiment,
 * as `compare` runs them), per style and engine, vs PyTorch running the same protocols as plain loops.
 */
import { type ProtocolsResult, SEED_SPECS } from '../jobs.js'
import { runPytorch } from '../pytorch.js'
import { withRatio } from '../ratio.js'
import { runJob } from '../spawn.js'
import type { BenchRow } from '../types.js'
import { memoryRecord, pytorchMissing, type SuiteContext } from './context.js'

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

export async function protocolsSuite(ctx: SuiteContext): Promise<BenchRow[]> {
  const epochs = protocolEpochs(ctx.opts.quick)
  const py = ctx.pytorch.available
    ? await runPytorch<PyProtocols>(
        ctx.pytorch.python,
        'protocols',
        { kerasEpochs: epochs['seed-keras'], torchEpochs: epochs['seed-torch'] },
        ctx.signal,
      )
    : null
  const pyWhy = pytorchMissing(ctx, py && !py.ok ? py.error : undefined)
  const pyOf = (name: string) => (py?.ok ? (py.value.protocols[name] ?? null) : null)
  const pyTotal = py?.ok ? SEED_SPECS.reduce((a, n) => a + (pyOf(n)?.ms ?? Number.NaN), 0) : null
  if (pyTotal !== null) ctx.progress(`protocols: PyTorch ${(pyTotal / 1000).toFixed(2)} s`)
  const pySteps = py?.ok ? SEED_SPECS.reduce((a, n) => a + (pyOf(n)?.steps ?? 0), 0) : null
  const rows: BenchRow[] = []
  for (const e of ctx.engines) {
    const r = await runJob<ProtocolsResult>(
      { kind: 'protocols', backend: e.backend, engine: e.engine, epochs },
      ctx.signal,
    )
    ctx.memory.push(
      memoryRecord(
        {
          suite: 'protocols',
          key: 'memory/protocols',
          case: "protocols: the seed's two protocols, one process",
        },
        e,
        r,
        { kb: py?.ok ? py.maxRssKb : null, why: pyWhy },
      ),
    )
    const base = {
      suite: 'protocols' as const,
      backend: e.backend,
      engine: e.engine,
      default: e.default,
      unit: 'ms' as const,
    }
    const missing = (v: number | null) => (v === null ? { pytorchWhy: pyWhy } : {})
    if (!r.ok) {
      ctx.progress(`protocols: ${e.backend} ${e.engine} failed: ${r.error}`)
      rows.push(
        withRatio({
          ...base,
          key: 'protocols/both',
          case: protocolLabel('both', epochs),
          value: null,
          pytorch: pyTotal,
          ...missing(pyTotal),
          error: r.error,
        }),
      )
      continue
    }
    let steps = 0
    for (const p of r.value.protocols) {
      const ref = pyOf(p.name)
      steps += p.steps
      rows.push(
        withRatio({
          ...base,
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
        ...base,
        key: 'protocols/both',
        case: protocolLabel('both', epochs),
        value: r.value.totalMs,
        pytorch: pyTotal,
        ...missing(pyTotal),
        notes: `${steps.toLocaleString('en-US')} steps${pySteps !== null ? ` (PyTorch ${pySteps.toLocaleString('en-US')})` : ''}`,
        detail: { steps, pytorchSteps: pySteps },
      }),
    )
    ctx.progress(`protocols: ${e.backend} ${e.engine} ${(r.value.totalMs / 1000).toFixed(2)} s`)
  }
  return rows
}
