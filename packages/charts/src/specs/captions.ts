/** Phrases the charts' titles and subtitles share. */
import { classificationLoss, type ExperimentResult, type LossName, type TrialResult } from '@dualfit/core'

export function stageText(t: TrialResult): string {
  return t.stage === 'refit' ? 'refit' : t.stage === 'early-stopping' ? 'early-stopping run' : 'search run'
}

/** One phrase for all backends when they agree, else one per backend. */
export function perBackend(items: { backend: string; text: string }[]): string {
  if (items.length === 0) return ''
  const first = items[0]?.text
  if (items.every((i) => i.text === first)) return first as string
  return items.map((i) => `${i.backend}: ${i.text}`).join('; ')
}

export const lossTitle = (r: ExperimentResult) => {
  const name = typeof r.spec.loss === 'object' ? r.spec.loss.name : String(r.spec.loss)
  // cross_entropy, binary_cross_entropy: words, short enough for the y axis.
  if (classificationLoss(name as LossName)) return `${name.replaceAll('_', ' ')} (log)`
  return r.spec.standardize?.y
    ? `${name.toUpperCase()}, standardized y (log)`
    : `${name.toUpperCase()} loss (log scale)`
}
