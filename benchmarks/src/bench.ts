/**
 * The bench runner: the suites, measured side by side with real PyTorch in one run. Heavy modules
 * (the backends, the suites) load lazily, once the options are known to be good.
 */
import { lstatSync, mkdtempSync, rmSync, type Stats } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Backend, outputProblem } from '@dualfit/core'
import { terminalWidth } from '@dualfit/report'
import { BenchUsageError } from './args.js'
import type { StyleId } from './jobs.js'
import { renderText, writeAtomic } from './output.js'
import { probePytorch, pythonPath } from './pytorch.js'
import { buildDocument, documentJson, type Environment, type PytorchInfo, torchDevice } from './schema.js'
import type { EngineRun, SuiteContext } from './suites/context.js'
import { checkExitCode, evaluateTargets, targetDefs } from './targets.js'
import type { BenchOptions, BenchRow } from './types.js'

export interface BenchIO {
  /** Tables or the JSON document. */
  out: (s: string) => void
  /** Progress lines and failure messages (one line each, ending in a newline). */
  err: (s: string) => void
  /** Aborting stops the run between measurements (children are killed); nothing is written. */
  signal?: AbortSignal
  /** How messages name the command: 'pnpm bench' unless told ('dualfit bench' in the bundle). */
  name?: string
  /** Columns the tables must fit; the terminal's (or COLUMNS) unless told. */
  width?: number
  /** The CLI and the experiment specs that the startup suite runs: the workspace's unless told (the bundle's). */
  programs?: Programs
}

export interface Programs {
  /** The CLI's entry module, run with this Node. */
  cli: string
  /** The folder of the experiment specs (seed-torch.json). */
  experiments: string
}

const STDIO: BenchIO = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }

/** The repository root: benchmarks/dist/ is two levels down. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const WORKSPACE_PROGRAMS: Programs = {
  cli: join(ROOT, 'packages/cli/dist/bin.js'),
  experiments: join(ROOT, 'experiments'),
}

async function backends(): Promise<{ id: StyleId; backend: Backend }[]> {
  const [torch, keras] = await Promise.all([import('@dualfit/torch-style'), import('@dualfit/keras-style')])
  return [
    { id: 'torch-style', backend: torch.createBackend() },
    { id: 'keras-style', backend: keras.createBackend() },
  ]
}

/** Available engines for --device (the first of each backend is the one compare picks) and the rest with why. */
async function chooseEngines(
  opts: BenchOptions,
): Promise<{ engines: EngineRun[]; skipped: string[]; packages: Record<string, string> }> {
  const { listEngines } = await import('@dualfit/core')
  const engines: EngineRun[] = []
  const skipped: string[] = []
  const packages: Record<string, string> = {}
  for (const { id, backend } of await backends()) {
    packages[id] = backend.version
    const wanted = (await listEngines(backend)).filter(
      (e) => opts.device === 'all' || e.device === opts.device,
    )
    await backend.dispose()
    let first = true
    for (const e of wanted) {
      if (!e.available) {
        skipped.push(`${id} ${e.id} (${e.device}): ${e.detail}`)
        continue
      }
      engines.push({
        backend: id,
        engine: e.id,
        default: first,
        ...(e.software ? { software: e.software } : {}),
        ...(e.device === 'gpu' ? { gpu: true } : {}),
      })
      first = false
    }
  }
  return { engines, skipped, packages }
}

function environment(pytorch: PytorchInfo, packages: Record<string, string>): Environment {
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    pytorch,
    packages,
  }
}

/** --out, checked before the run: a file name in a folder that can be written, not over a file unless --force. */
function checkOut(path: string, force: boolean | undefined): void {
  let there: Stats | null = null
  try {
    there = lstatSync(path)
  } catch {
    // absent: written at the end
  }
  if (there?.isDirectory()) throw new BenchUsageError(`--out '${path}': is a folder, expected a file name`)
  if (there && !force)
    throw new BenchUsageError(`--out '${path}': a file is already there; pass --force to overwrite it`)
  const problem = outputProblem(dirname(path), false)
  if (problem) throw new BenchUsageError(`--out '${path}': ${problem}`)
}

/** Every suite asked for, in order; the rows, and the memory rows last. */
async function runSuites(ctx: SuiteContext, signal: AbortSignal | undefined): Promise<BenchRow[]> {
  const wants = (s: string) => ctx.opts.suites.includes(s as never)
  const { stepSuite } = await import('./suites/step.js')
  const { protocolsSuite } = await import('./suites/protocols.js')
  const { scalingSuite } = await import('./suites/scaling.js')
  const { startupSuite } = await import('./suites/startup.js')
  const { parallelSuite } = await import('./suites/parallel.js')
  const { distributedSuite } = await import('./suites/distributed.js')
  const { memoryRows } = await import('./suites/memory.js')
  const plan: [boolean, (c: SuiteContext) => Promise<BenchRow[]>][] = [
    [wants('step'), stepSuite],
    [wants('protocols'), protocolsSuite],
    // The memory suite's headline figure (the N=1e6 MLP) comes from the scaling processes.
    [wants('scaling') || wants('memory'), scalingSuite],
    [wants('startup'), startupSuite],
    [wants('parallel'), parallelSuite],
    [wants('distributed'), distributedSuite],
  ]
  const rows: BenchRow[] = []
  for (const [run, suite] of plan) {
    if (!run) continue
    signal?.throwIfAborted()
    rows.push(...(await suite(ctx)))
  }
  signal?.throwIfAborted()
  rows.push(...memoryRows(ctx.memory))
  return rows
}

/** PyTorch, probed when a suite needs it, announced on the progress lines. */
async function pytorchFor(opts: BenchOptions, io: BenchIO, progress: (line: string) => void) {
  const python = pythonPath()
  if (!opts.suites.some((s) => s !== 'parallel' && s !== 'distributed'))
    return { python, available: false, why: 'not needed by the suites run' } satisfies PytorchInfo
  // --device gpu: PyTorch on CUDA, the same-run reference for the GPU engines, where torch sees one.
  const pytorch = await probePytorch(python, io.signal, opts.device === 'gpu')
  progress(
    pytorch.available
      ? `PyTorch ${pytorch.torch} under ${python}${torchDevice(pytorch)}`
      : `no PyTorch figures: ${pytorch.why}`,
  )
  return pytorch
}

/**
 * A row measured on a software GPU adapter, marked: its figures show the code path works, not what
 * a GPU does, so targets never judge it (evaluateTargets).
 */
function softwareRow(row: BenchRow, engines: readonly EngineRun[]): BenchRow {
  const software = engines.find((e) => e.backend === row.backend && e.engine === row.engine)?.software
  return software ? { ...row, software } : row
}

/** Runs bench with parsed options; resolves to the exit code (0, 1 on a failed --check, 2 on bad input). */
export async function runBench(opts: BenchOptions, io: BenchIO = STDIO): Promise<number> {
  const name = io.name ?? 'pnpm bench'
  const fail = (message: string) => {
    io.err(`${name}: ${message.replace(/\s*\n\s*/g, ' ')}\n`)
    return 2
  }
  try {
    if (opts.out !== undefined) checkOut(opts.out, opts.force)
  } catch (e) {
    if (e instanceof BenchUsageError) return fail(e.message)
    throw e
  }

  const date = new Date()
  const { engines, skipped, packages } = await chooseEngines(opts)
  if (engines.length === 0)
    return fail(`--device ${opts.device}: no engine available here (${skipped.join('; ')})`)
  const progress = (line: string) => {
    // After Ctrl-C the remaining measurements fail at once: no line for each.
    if (!io.signal?.aborted) io.err(`${name}: ${line}\n`)
  }
  const pytorch = await pytorchFor(opts, io, progress)
  const tmp = mkdtempSync(join(tmpdir(), 'dualfit-bench-'))
  const ctx: SuiteContext = {
    opts,
    engines,
    pytorch,
    tmp,
    root: ROOT,
    ...(io.programs ?? WORKSPACE_PROGRAMS),
    progress,
    memory: [],
    ...(io.signal ? { signal: io.signal } : {}),
  }
  let rows: BenchRow[]
  try {
    rows = (await runSuites(ctx, io.signal)).map((r) => softwareRow(r, engines))
  } catch (e) {
    if (io.signal?.aborted) {
      io.err(`${name}: interrupted; nothing was written\n`)
      return 130
    }
    throw e
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }

  const targets = opts.check ? evaluateTargets(targetDefs(opts.quick), rows, opts.suites) : []
  const doc = buildDocument({
    date,
    options: opts,
    environment: environment(pytorch, packages),
    rows,
    skipped,
    targets,
  })
  const json = documentJson(doc)
  if (opts.out !== undefined) {
    try {
      writeAtomic(opts.out, json)
    } catch (e) {
      const err = e as NodeJS.ErrnoException
      return fail(`--out '${opts.out}': cannot write (${err.code ?? err.message})`)
    }
  }
  io.out(opts.format === 'json' ? json : renderText(doc, io.width ?? terminalWidth()))
  return opts.check ? checkExitCode(targets) : 0
}
