/** Model selection over the search stage's trials. */

import { mean, sd } from './metrics.js'
import type { Experiment } from './plan.js'
import type { PointScore, TrialResult } from './results.js'

/** Mean score per grid point; a diverged or non-finite run makes its point score Infinity (never selected). */
export function scorePoints(exp: Experiment, trials: TrialResult[]): PointScore[] {
  const useCv = exp.spec.selection.score === 'cv_mse'
  return exp.points.map((p, point) => {
    const values = trials
      .filter((t) => t.stage === 'search' && t.point === point)
      .map((t) => (useCv ? (t.testMse ?? Number.NaN) : t.finalLoss))
    const finite = values.every(Number.isFinite)
    return {
      point,
      params: p.params,
      mean: finite ? mean(values) : Number.POSITIVE_INFINITY,
      sd: finite ? sd(values) : Number.NaN,
      values,
    }
  })
}

/** scikit-learn's `best`: lowest mean score, the first grid point on ties. */
export function selectPoint(scores: PointScore[]): number {
  let best = 0
  for (const s of scores) if (s.mean < (scores[best] as PointScore).mean) best = s.point
  return best
}
