/** What every suite gets from the runner, and the memory records suites leave behind. */
import type { StyleId } from '../jobs.js'
import type { PytorchInfo } from '../schema.js'
import type { BenchOptions, BenchRow } from '../types.js'

export interface EngineRun {
  backend: StyleId
  engine: string
  /** The engine `dualfit compare` picks for this --device. */
  default: boolean
  /** A gpu engine's software adapter (core's softwareGpu), e.g. 'SwiftShader'. */
  software?: string
  /** gpu engines run in the CLI's own process only (compare refuses --workers for them). */
  gpu?: boolean
}

/** Peak RSS of one child process (dualfit's) next to PyTorch's process for the same work. */
export interface MemoryRecord
  extends Pick<
    BenchRow,
    'suite' | 'key' | 'case' | 'backend' | 'engine' | 'default' | 'pytorchWhy' | 'error'
  > {
  kb: number | null
  pytorchKb: number | null
  /** Peak RSS of the engine's bare loop on the same work, where one ran (scaling); null when it failed. */
  bareKb?: number | null
  bareWhy?: string
}

export interface SuiteContext {
  opts: BenchOptions
  engines: EngineRun[]
  pytorch: PytorchInfo
  /** Scratch folder of this run (data files), removed at the end. */
  tmp: string
  /** The repository root (experiments/, packages/cli/dist/bin.js). */
  root: string
  /** The CLI's entry module: the workspace's, or the bundle's app/bin.js. */
  cli: string
  /** The experiment specs' folder: the workspace's, or the bundle's copy. */
  experiments: string
  signal?: AbortSignal
  progress: (line: string) => void
  memory: MemoryRecord[]
}

/** Why a row has no PyTorch figure: PyTorch missing altogether, or this task of it failed. */
export function pytorchMissing(ctx: SuiteContext, taskError?: string): string {
  return ctx.pytorch.available ? (taskError ?? 'PyTorch run failed') : (ctx.pytorch.why ?? 'no PyTorch')
}

/** A measured child's outcome, as spawn.ts's runJob resolves. */
export type Measured = { ok: true; maxRssKb: number | null } | { ok: false; error: string }

/**
 * A memory record from a measured child's outcome and PyTorch's: the peak RSS of each, or why
 * one is missing, and the bare loop's when one ran. `judged` marks the engine the targets judge
 * (the default unless said).
 */
export function memoryRecord(
  what: Pick<MemoryRecord, 'suite' | 'key' | 'case'>,
  e: EngineRun,
  r: Measured,
  py: { kb: number | null; why: string },
  judged = e.default,
  bare?: Measured,
): MemoryRecord {
  return {
    ...what,
    backend: e.backend,
    engine: e.engine,
    default: judged,
    kb: r.ok ? r.maxRssKb : null,
    pytorchKb: py.kb,
    ...(py.kb === null ? { pytorchWhy: py.why } : {}),
    ...(r.ok ? {} : { error: r.error }),
    ...(bare ? { bareKb: bare.ok ? bare.maxRssKb : null, ...(bare.ok ? {} : { bareWhy: bare.error }) } : {}),
  }
}
