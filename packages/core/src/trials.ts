/** The unit of work a plan lists and a store records: one trial. */

export type Stage = 'search' | 'refit' | 'early-stopping'
export type Params = Record<string, unknown>

/** A grid point for reading, e.g. 'lr 0.1, batchSize 32' (optimizer.* without its prefix); '' for none. */
export function paramsLabel(p: Params): string {
  const short = (k: string) => k.replace(/^optimizer\./, '')
  return Object.entries(p)
    .map(([k, v]) => `${short(k)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ')
}

/** One independent, serializable unit of work: spec + grid point + fold + seed. */
export interface Trial {
  /** e.g. 'search/p2/f1/s0', 'refit/p2/s0'. */
  id: string
  stage: Stage
  /** Index into the grid's points. */
  point: number
  params: Params
  /** Fold index in k-fold CV, or null when training on all rows. */
  fold: number | null
  seed: number
}
