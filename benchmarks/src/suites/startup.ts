/**
 * startup: a fresh process until its first finished trial. dualfit: `dualfit train --spec
 * experiments/seed-torch.json --backend B --engine E --set epochs=1 --format json`, spawn to exit;
 * PyTorch: a fresh python that imports torch and runs one optimizer step. Trimmed mean of the runs.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { runPytorch } from '../pytorch.js'
import { formatValue, withRatio } from '../ratio.js'
import { lastLine, runProcess } from '../spawn.js'
import { trimmedMean } from '../stats.js'
import type { BenchRow } from '../types.js'
import { type EngineRun, memoryRecord, pytorchMissing, type SuiteContext } from './context.js'

const HOOK = new URL('../rss-hook.js', import.meta.url).href

export const STARTUP_REPS = { full: 5, quick: 2 }

function readKb(file: string): number | null {
  try {
    const kb = Number(readFileSync(file, 'utf8'))
    return Number.isFinite(kb) && kb > 0 ? kb : null
  } finally {
    rmSync(file, { force: true })
  }
}

/** PyTorch: fresh interpreters, timed from spawn to exit; trimmed mean, or why there is none. */
async function pytorchStartup(ctx: SuiteContext, reps: number) {
  let ms: number | null = null
  let kb: number | null = null
  let error: string | undefined
  if (ctx.pytorch.available) {
    const times: number[] = []
    for (let i = 0; i < reps && !error; i++) {
      const r = await runPytorch(ctx.pytorch, 'startup', {}, ctx.signal)
      if (r.ok) {
        times.push(r.ms)
        kb = r.maxRssKb
      } else error = r.error
    }
    if (!error) ms = trimmedMean(times)
  }
  return { ms, kb, why: pytorchMissing(ctx, error) }
}

/** `dualfit train` in fresh processes on one engine: the times of the runs and the peak RSS, or what failed. */
async function dualfitStartup(ctx: SuiteContext, e: EngineRun, reps: number, bin: string) {
  const spec = join(ctx.experiments, 'seed-torch.json')
  let error: string | undefined = existsSync(bin) ? undefined : `${bin} not built (pnpm build)`
  const times: number[] = []
  let kb: number | null = null
  for (let i = 0; i < reps && !error; i++) {
    const rssFile = join(ctx.tmp, `startup-rss-${process.pid}-${i}`)
    const args = [
      '--import',
      HOOK,
      bin,
      'train',
      '--spec',
      spec,
      '--backend',
      e.backend,
      '--engine',
      e.engine,
    ]
    const f = await runProcess(process.execPath, [...args, '--set', 'epochs=1', '--format', 'json'], {
      cwd: ctx.tmp,
      env: { ...process.env, DUALFIT_BENCH_RSS_FILE: rssFile },
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    })
    const rss = readKb(rssFile)
    let trials = 0
    try {
      trials = (JSON.parse(f.stdout) as { trials: unknown[] }).trials.length
    } catch {
      // reported below
    }
    if (f.code !== 0 || trials !== 1) {
      error = lastLine(f.stderr) || `exit ${f.code ?? f.signal}, ${trials} trial(s) in its output`
    } else {
      times.push(f.ms)
      if (rss !== null) kb = Math.max(kb ?? 0, rss)
    }
  }
  return { times, kb, error }
}

export async function startupSuite(ctx: SuiteContext): Promise<BenchRow[]> {
  const reps = STARTUP_REPS[ctx.opts.quick ? 'quick' : 'full']
  const bin = ctx.cli
  const py = await pytorchStartup(ctx, reps)
  if (py.ms !== null) ctx.progress(`startup: PyTorch ${formatValue(py.ms, 'ms')}`)
  const rows: BenchRow[] = []
  for (const e of ctx.engines) {
    const { times, kb, error } = await dualfitStartup(ctx, e, reps, bin)
    const value = error ? null : trimmedMean(times)
    const what = {
      suite: 'startup' as const,
      key: 'memory/startup',
      case: 'startup: dualfit train, 1 epoch (python: import torch + one step)',
    }
    const outcome = error ? { ok: false as const, error } : { ok: true as const, maxRssKb: kb }
    ctx.memory.push(memoryRecord(what, e, outcome, { kb: py.kb, why: py.why }))
    rows.push(
      withRatio({
        suite: 'startup',
        key: 'startup/train-1-epoch',
        case: 'fresh process to its first finished trial (seed-torch, 1 epoch)',
        backend: e.backend,
        engine: e.engine,
        default: e.default,
        unit: 'ms',
        pytorch: py.ms,
        ...(py.ms === null ? { pytorchWhy: py.why } : {}),
        value,
        ...(error
          ? { error }
          : {
              notes: `trimmed mean of ${times.length} run(s), spawn to exit`,
              detail: { runs: times.length, minMs: Math.min(...times), maxMs: Math.max(...times) },
            }),
      }),
    )
    ctx.progress(`startup: ${e.backend} ${e.engine} ${error ? `failed: ${error}` : formatValue(value, 'ms')}`)
  }
  return rows
}
