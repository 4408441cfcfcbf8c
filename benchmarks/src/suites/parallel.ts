/**
 * parallel: the seed-keras grid on core's TrialPool (2 worker threads, as `compare --workers 2`) vs
 * in-process (`--workers 1`), each in its own process: the speedup, and whether the results are
 * identical timings aside. No PyTorch counterpart.
 */
import type { ParallelResult } from '../jobs.js'
import { formatValue, withRatio } from '../ratio.js'
import { runJob } from '../spawn.js'
import type { BenchRow } from '../types.js'
import { memoryRecord, type SuiteContext } from './context.js'
import { protocolEpochs } from './protocols.js'

export const PARALLEL_WORKERS = 2
const NO_PYTORCH = 'no PyTorch counterpart: dualfit serial vs workers'

/** Serial time over parallel time; null when either is missing. */
export function speedup(serialMs: number | null, parallelMs: number | null): number | null {
  if (serialMs === null || parallelMs === null || !(serialMs > 0) || !(parallelMs > 0)) return null
  return serialMs / parallelMs
}

export async function parallelSuite(ctx: SuiteContext): Promise<BenchRow[]> {
  const epochs = { 'seed-keras': protocolEpochs(ctx.opts.quick)['seed-keras'] as number }
  const rows: BenchRow[] = []
  for (const e of ctx.engines) {
    if (e.gpu) {
      ctx.progress(
        `parallel: ${e.backend} ${e.engine} not run: compare runs gpu engines in its own process only`,
      )
      continue
    }
    const run = (workers: number) =>
      runJob<ParallelResult>(
        { kind: 'parallel', backend: e.backend, engine: e.engine, workers, epochs },
        ctx.signal,
      )
    const serial = await run(1)
    const par = await run(PARALLEL_WORKERS)
    for (const [mode, r] of [
      ['serial', serial],
      [`workers-${PARALLEL_WORKERS}`, par],
    ] as const) {
      ctx.memory.push(
        memoryRecord(
          {
            suite: 'parallel',
            key: `memory/parallel/${mode}`,
            case: `parallel: seed-keras grid, ${mode === 'serial' ? 'in-process' : `${PARALLEL_WORKERS} worker threads`}`,
          },
          e,
          r,
          { kb: null, why: NO_PYTORCH },
        ),
      )
    }
    const error = !serial.ok
      ? `serial run: ${serial.error}`
      : !par.ok
        ? `worker run: ${par.error}`
        : serial.value.fingerprint !== par.value.fingerprint
          ? 'results differ between the serial and the worker run'
          : undefined
    const s = serial.ok ? serial.value : null
    const p = par.ok ? par.value : null
    const x = error ? null : speedup(s?.ms ?? null, p?.ms ?? null)
    rows.push(
      withRatio({
        suite: 'parallel',
        key: 'parallel/seed-keras',
        case: `seed-keras grid (${epochs['seed-keras']} epochs), ${p?.workers ?? PARALLEL_WORKERS} workers vs serial`,
        backend: e.backend,
        engine: e.engine,
        default: e.default,
        unit: 'x',
        value: x,
        pytorch: null,
        pytorchWhy: NO_PYTORCH,
        ...(error ? { error } : {}),
        ...(s && p
          ? {
              notes: `serial ${formatValue(s.ms, 'ms')}, ${p.workers} workers ${formatValue(p.ms, 'ms')}; ${s.trials} trials; results ${s.fingerprint === p.fingerprint ? 'identical' : 'DIFFER'}`,
              detail: {
                serialMs: s.ms,
                parallelMs: p.ms,
                workers: p.workers,
                trials: s.trials,
                identical: s.fingerprint === p.fingerprint,
              },
            }
          : {}),
      }),
    )
    ctx.progress(
      `parallel: ${e.backend} ${e.engine} ${error ? `failed: ${error}` : `${formatValue(x, 'x')}`}`,
    )
  }
  return rows
}
