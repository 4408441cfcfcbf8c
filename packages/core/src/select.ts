/** Model selection over the search stage's trials. */

import { mean, sd } from './metrics.js'
import type { Experiment } from './plan.js'
import type { PointScore, TrialResult } from './results.js'
import type { Score } from './spec.js'

/**
 * Mean score per grid point, with its standard error and whether it ties with the best: within one
 * standard error of the best mean or, for CV MSE, within the square of the spec's report.tolerance
 * (an RMS error the spec says does not matter). The margin matters where scores reach float32
 * rounding: the seed's Keras protocol scores 1e-12..1e-4 per fold, and a mean over such values has
 * an SE set by its one worst fold. A diverged or non-finite run makes its point score Infinity.
 */
export function scorePoints(exp: Experiment, trials: TrialResult[]): PointScore[] {
  const { score } = exp.spec.selection
  const useCv = score === 'cv_mse'
  const higher = higherIsBetter(score)
  const value = (t: TrialResult): number => {
    if (t.diverged) return higher ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
    if (score === 'cv_mse') return t.testMse ?? Number.NaN
    if (score === 'cv_log_loss') return t.classification?.test?.logLoss ?? Number.NaN
    if (score === 'cv_accuracy') return t.classification?.test?.accuracy ?? Number.NaN
    return t.finalLoss
  }
  const scores = exp.points.map((p, point) => {
    const values = trials.filter((t) => t.stage === 'search' && t.point === point).map(value)
    const finite = values.every(Number.isFinite)
    const s = finite ? sd(values) : Number.NaN
    return {
      point,
      params: p.params,
      mean: finite ? mean(values) : higher ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY,
      sd: s,
      se: finite && values.length > 0 ? s / Math.sqrt(values.length) : Number.NaN,
      tie: false,
      values,
    }
  })
  const best = scores[bestOf(scores, higher)] as PointScore
  const margin = Math.max(Number.isFinite(best.se) ? best.se : 0, useCv ? exp.spec.report.tolerance ** 2 : 0)
  for (const s of scores)
    s.tie = Number.isFinite(s.mean) && (higher ? s.mean >= best.mean - margin : s.mean <= best.mean + margin)
  return scores
}

/** Accuracy is better higher; every other score is a loss or an error. */
export const higherIsBetter = (score: Score) => score === 'cv_accuracy'

/** The best mean (lowest, or highest for accuracy), the first point on equal means (scikit-learn's `best`). */
function bestOf(scores: PointScore[], higher: boolean): number {
  let best = 0
  for (const s of scores) {
    const at = (scores[best] as PointScore).mean
    if (higher ? s.mean > at : s.mean < at) best = s.point
  }
  return best
}

/**
 * `best`: the lowest mean score. `one-se` (Breiman's rule): among the points tied with the best,
 * the most conservative one: the smallest `optimizer.lr`, or without an lr grid the first point.
 */
export function selectPoint(
  scores: PointScore[],
  rule: 'best' | 'one-se' = 'best',
  score: Score = 'cv_mse',
): number {
  if (rule === 'best') return bestOf(scores, higherIsBetter(score))
  const tied = scores.filter((s) => s.tie)
  const lr = (s: PointScore) => s.params['optimizer.lr']
  if (tied.every((s) => typeof lr(s) === 'number')) {
    return tied.reduce((a, b) => ((lr(b) as number) < (lr(a) as number) ? b : a)).point
  }
  return (tied[0] as PointScore).point
}
