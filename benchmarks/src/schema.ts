/** The versioned JSON document of a bench run (`--format json`, `--out`). Pure. */
import type { TargetResult } from './targets.js'
import type { BenchOptions, BenchRow } from './types.js'

export const BENCH_SCHEMA_VERSION = 1

export interface PytorchInfo {
  /** The interpreter asked (DUALFIT_PYTHON, else /usr/bin/python3). */
  python: string
  available: boolean
  /** torch.__version__ and the interpreter's version, when available. */
  torch?: string
  pythonVersion?: string
  threads?: number
  /** Why PyTorch figures are missing, when they are. */
  why?: string
  /** Asked to run on CUDA (--device gpu): the same-run reference for the GPU engines. */
  cuda?: boolean
  /** Where it ran: 'cpu', or the CUDA device's name. */
  device?: string
  /** Why it ran on the CPU although CUDA was asked. */
  deviceWhy?: string
}

export interface Environment {
  node: string
  platform: string
  arch: string
  cpu: string
  cores: number
  memoryGB: number
  pytorch: PytorchInfo
  packages: Record<string, string>
}

export interface BenchDocument {
  schemaVersion: typeof BENCH_SCHEMA_VERSION
  kind: 'dualfit.bench'
  /** ISO 8601, when the run started. */
  date: string
  options: BenchOptions
  environment: Environment
  rows: BenchRow[]
  /** Engines not run, with the reason ('keras-style webgl (gpu): ...'). */
  skipped: string[]
  /** Empty unless --check. */
  targets: TargetResult[]
}

export function buildDocument(parts: {
  date: Date
  options: BenchOptions
  environment: Environment
  rows: readonly BenchRow[]
  skipped: readonly string[]
  targets: readonly TargetResult[]
}): BenchDocument {
  return {
    schemaVersion: BENCH_SCHEMA_VERSION,
    kind: 'dualfit.bench',
    date: parts.date.toISOString(),
    options: parts.options,
    environment: parts.environment,
    rows: [...parts.rows],
    skipped: [...parts.skipped],
    targets: [...parts.targets],
  }
}

/** JSON text; non-finite numbers (which JSON cannot hold) become null. */
export function documentJson(doc: BenchDocument): string {
  return `${JSON.stringify(doc, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`
}

/** Where PyTorch ran, when CUDA was asked: the GPU, or the CPU and why. */
export function torchDevice(p: PytorchInfo): string {
  if (!p.cuda || !p.device) return ''
  return p.device === 'cpu' ? `, on the CPU: ${p.deviceWhy ?? 'no CUDA'}` : `, on CUDA: ${p.device}`
}

/** The footer under the tables: date, node, CPU, cores, PyTorch. */
export function footerLine(doc: Pick<BenchDocument, 'date' | 'environment' | 'options'>): string {
  const e = doc.environment
  const torch = e.pytorch.available
    ? `PyTorch ${e.pytorch.torch} (${e.pytorch.python}, Python ${e.pytorch.pythonVersion}, ${e.pytorch.threads ?? 1} thread${torchDevice(e.pytorch)})`
    : `no PyTorch (${e.pytorch.why})`
  return [
    `${doc.date.slice(0, 16).replace('T', ' ')} UTC`,
    `node ${e.node}`,
    `${e.cpu}, ${e.cores} cores, ${e.memoryGB} GB`,
    torch,
    doc.options.quick ? 'quick run (smaller N, fewer epochs: smoke figures)' : 'full run',
  ].join(' · ')
}
