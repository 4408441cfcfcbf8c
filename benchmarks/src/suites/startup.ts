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
import { memoryRecord, pytorchMissing, type SuiteContext } from './context.js'

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

export async function startupSuite(ctx: SuiteContext): Promise<BenchRow[]> {
  const reps = STARTUP_REPS[ctx.opts.quick ? 'quick' : 'full']
  const bin = join(ctx.root, 'packages/cli/dist/bin.js')
  const spec = join(ctx.root, 'experiments/seed-torch.json')
  const label = 'fresh process to its first finished trial (seed-torch, 1 epoch)'

  // PyTorch: fresh interpreters, timed from spawn to exit.
  let pyMs: number | null = null
  let pyKb: number | null = null
  let pyError: string | undefined
  if (ctx.pytorch.available) {
    const times: number[] = []
    for (let i = 0; i < reps; i++) {
      const r = await runPytorch(ctx.pytorch.python, 'startup', {}, ctx.signal)
      if (!r.ok) {
        pyError = r.error
        break
      }
      times.push(r.ms)
      pyKb = r.maxRssKb
    }
    if (!pyError) pyMs = trimmedMean(times)
  }
  const pyWhy = pytorchMissing(ctx, pyError)
  if (pyMs !== null) ctx.progress(`startup: PyTorch ${formatValue(pyMs, 'ms')}`)

  const rows: BenchRow[] = []
  for (const e of ctx.engines) {
    const base = {
      suite: 'startup' as const,
      key: 'startup/train-1-epoch',
      case: label,
      backend: e.backend,
      engine: e.engine,
      default: e.default,
      unit: 'ms' as const,
      pytorch: pyMs,
      ...(pyMs === null ? { pytorchWhy: pyWhy } : {}),
    }
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
        cwd: ctx.root,
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
        break
      }
      times.push(f.ms)
      if (rss !== null) kb = Math.max(kb ?? 0, rss)
    }
    const value = error ? null : trimmedMean(times)
    ctx.memory.push(
      memoryRecord(
        {
          suite: 'startup',
          key: 'memory/startup',
          case: 'startup: dualfit train, 1 epoch (python: import torch + one step)',
        },
        e,
        error ? { ok: false, error } : { ok: true, maxRssKb: kb },
        { kb: pyKb, why: pyWhy },
      ),
    )
    rows.push(
      withRatio({
        ...base,
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
