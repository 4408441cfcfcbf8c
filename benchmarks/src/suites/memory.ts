/** memory: peak RSS of every measured process (per suite and workload), next to PyTorch's. Pure. */
import { withRatio } from '../ratio.js'
import type { BenchRow } from '../types.js'
import type { MemoryRecord } from './context.js'

const MB = (kb: number | null) => (kb === null ? null : kb / 1024)

export function memoryRows(records: readonly MemoryRecord[]): BenchRow[] {
  return records.map((m) =>
    withRatio({
      suite: 'memory',
      key: m.key,
      case: m.case,
      backend: m.backend,
      engine: m.engine,
      default: m.default,
      unit: 'MB',
      value: MB(m.kb),
      pytorch: MB(m.pytorchKb),
      ...(m.pytorchKb === null ? { pytorchWhy: m.pytorchWhy ?? 'no PyTorch figure' } : {}),
      ...(m.error !== undefined ? { error: m.error } : {}),
      ...(m.bareKb !== undefined ? { bare: MB(m.bareKb) } : {}),
      ...(m.bareWhy !== undefined ? { bareWhy: m.bareWhy } : {}),
      detail: { suite: m.suite },
    }),
  )
}
