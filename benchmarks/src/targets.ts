/** The issue's targets, and judging a run's rows against them (PASS / FAIL / SKIP). Pure. */
import { formatRatio } from './ratio.js'
import type { BenchRow, SuiteName } from './types.js'
import { rowsFor, WORKLOADS, workloadLabel } from './workloads.js'

export interface TargetDef {
  id: string
  /** The suite whose rows carry the figure. */
  suite: SuiteName
  /** Row key and backend the target judges. */
  key: string
  backend: string
  /** 'ratio': dualfit / PyTorch; 'value': the row's own figure (a speedup). */
  on: 'ratio' | 'value'
  op: '<=' | '>='
  limit: number
  label: string
}

export type Status = 'PASS' | 'FAIL' | 'SKIP'

export interface TargetResult {
  id: string
  label: string
  status: Status
  on: TargetDef['on']
  op: TargetDef['op']
  limit: number
  /** The judged figure; null for SKIP (and for a failed run). */
  measured: number | null
  /** The engine judged (the default one for --device). */
  engine?: string
  /** Why SKIP, or what failed. */
  why?: string
  /** The same figure on the backend's other engines, for information. */
  others?: { engine: string; measured: number | null }[]
}

const STYLES = ['torch-style', 'keras-style'] as const

/** The issue's targets; under --quick their labels name the smaller smoke workloads actually judged. */
export function targetDefs(quick = false): TargetDef[] {
  const mlp = WORKLOADS.find((w) => w.id === '1e6-full-mlp')
  const mlpLabel = mlp ? workloadLabel(mlp, rowsFor(mlp, quick)) : 'N=1e6 MLP'
  return [
    ...STYLES.map(
      (b): TargetDef => ({
        id: `protocols/${b}`,
        suite: 'protocols',
        key: 'protocols/both',
        backend: b,
        on: 'ratio',
        op: '<=',
        limit: 1.5,
        label: `protocols: the seed's two protocols, ${b} vs PyTorch`,
      }),
    ),
    ...WORKLOADS.flatMap((w) =>
      STYLES.map(
        (b): TargetDef => ({
          id: `scaling/${w.id}/${b}`,
          suite: 'scaling',
          key: `scaling/${w.id}`,
          backend: b,
          on: 'ratio',
          op: '<=',
          limit: b === 'torch-style' ? 1.0 : 2.0,
          label: `scaling: ${workloadLabel(w, rowsFor(w, quick))} per epoch, ${b} vs PyTorch`,
        }),
      ),
    ),
    ...STYLES.map(
      (b): TargetDef => ({
        id: `memory/1e6-full-mlp/${b}`,
        suite: 'memory',
        key: 'memory/scaling/1e6-full-mlp',
        backend: b,
        on: 'ratio',
        op: '<=',
        limit: 1.5,
        label: `memory: peak RSS of the ${mlpLabel} run, ${b} vs PyTorch`,
      }),
    ),
    ...STYLES.map(
      (b): TargetDef => ({
        id: `parallel/${b}`,
        suite: 'parallel',
        key: 'parallel/seed-keras',
        backend: b,
        on: 'value',
        op: '>=',
        limit: 1.7,
        label: `parallel: seed-keras grid, 2 workers vs serial, ${b}`,
      }),
    ),
  ]
}

/** The targets of a full run. */
export const TARGETS: TargetDef[] = targetDefs(false)

function measuredOf(def: TargetDef, row: BenchRow): number | null {
  return def.on === 'ratio' ? row.ratio : row.value
}

/**
 * Judges each target on its backend's default engine (the one `dualfit compare` picks for the
 * --device): PASS or FAIL on the figure, SKIP (why) when its suite did not run, no engine of the
 * backend ran, or PyTorch's figure is missing. A run that failed is a FAIL.
 */
export function evaluateTargets(
  defs: readonly TargetDef[],
  rows: readonly BenchRow[],
  suitesRun: readonly SuiteName[],
): TargetResult[] {
  return defs.map((def): TargetResult => {
    const base = { id: def.id, label: def.label, on: def.on, op: def.op, limit: def.limit, measured: null }
    const candidates = rows.filter((r) => r.key === def.key && r.backend === def.backend)
    if (candidates.length === 0) {
      const why = suitesRun.includes(def.suite)
        ? `no ${def.backend} engine ran`
        : `suite ${def.suite} not run`
      return { ...base, status: 'SKIP', why }
    }
    const row = candidates.find((r) => r.default) ?? (candidates[0] as BenchRow)
    const others = candidates
      .filter((r) => r !== row)
      .map((r) => ({ engine: r.engine, measured: measuredOf(def, r) }))
    const common = { ...base, engine: row.engine, ...(others.length ? { others } : {}) }
    if (row.error !== undefined) return { ...common, status: 'FAIL', why: `run failed: ${row.error}` }
    if (def.on === 'ratio' && row.pytorch === null) {
      return { ...common, status: 'SKIP', why: row.pytorchWhy ?? 'no PyTorch figure' }
    }
    const measured = measuredOf(def, row)
    if (measured === null || !Number.isFinite(measured)) {
      return { ...common, status: 'FAIL', why: 'no figure measured' }
    }
    const ok = def.op === '<=' ? measured <= def.limit : measured >= def.limit
    return { ...common, measured, status: ok ? 'PASS' : 'FAIL' }
  })
}

/**
 * One line per target: 'PASS  scaling: ... (cpu): 0.93x; target <= 1x  [wasm 1.2x]',
 * 'FAIL  ...: run failed: ...; target ...', 'SKIP (no torch for /usr/bin/python3)  ...; target ...'.
 */
export function formatTarget(t: TargetResult): string {
  const fig = (m: number | null) => (m === null ? '—' : formatRatio(m))
  const target = `target ${t.op} ${formatRatio(t.limit)}`
  const subject = `${t.label}${t.engine ? ` (${t.engine})` : ''}`
  const others = t.others?.length
    ? `  [${t.others.map((o) => `${o.engine} ${fig(o.measured)}`).join(', ')}]`
    : ''
  if (t.status === 'SKIP') return `SKIP (${t.why})  ${subject}; ${target}`
  const figure = t.measured === null ? (t.why ?? '—') : fig(t.measured)
  return `${t.status}  ${subject}: ${figure}; ${target}${others}`
}

/** 1 when any target failed, else 0 (SKIP does not fail a run). */
export function checkExitCode(results: readonly TargetResult[]): 0 | 1 {
  return results.some((t) => t.status === 'FAIL') ? 1 : 0
}
