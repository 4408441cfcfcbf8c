/**
 * Parity: given identical starts (weights, batch order), do two backends train the same? Paired
 * trials' per-epoch loss curves and final weights are compared, and the settings each backend
 * applied (Backend.settings) name the likely cause when they do not agree.
 */
import type { TrainSettings } from './backend.js'
import type { ExperimentResult, TrialResult, WeightsJson } from './results.js'
import { classificationLoss, type ExperimentSpec } from './spec.js'
import { paramsLabel } from './trials.js'

export const DEFAULT_PARITY_TOLERANCE = 1e-4

/**
 * The relative residual float32 can be said to resolve: 2^-20, i.e. float32's 24 bits less 4 bits
 * (16 units in the last place) for the arithmetic around a prediction. Losses below the loss of
 * residuals this size on every row are rounding, and compare as equal to within it.
 */
export const FLOAT32_RESOLUTION = 2 ** -20

/** A curve difference: which trial, at which epoch (counted from 1), and both losses there. */
export interface CurvePoint {
  trial: string
  epoch: number
  difference: number
  losses: [number, number]
  /** The same trial's difference at its first epoch: where training started from. */
  first: number
}

export interface ParityReport {
  spec: string
  backends: [string, string]
  tolerance: number
  /** The RMS error (output units) below which curves compare against this floor instead of their own size. */
  floor: number
  ok: boolean
  /** 'diverged' when a side's losses or weights are not finite: there is nothing to compare. */
  verdict: 'within' | 'beyond' | 'diverged'
  /** Each side that diverged, with its first such trial. */
  diverged: { backend: string; trial: string }[]
  /** Trials run by both backends (same id: stage, grid point, fold, seed). */
  paired: number
  /** The largest per-epoch difference over all paired trials, and the first epoch past tolerance. */
  curves: { max: number; peak: CurvePoint | null; part: CurvePoint | null }
  /** The largest normwise relative difference between final weights: max over layers of |a - b|∞ / max(|a|∞, |b|∞). */
  weights: { max: number; trial: string | null }
  /** Differences in what ran: the selected point, epochs run (early stopping), unpaired trials. */
  mismatches: string[]
  /** Comparing a spec with a variant of itself: the fields that differ, as asked (not a mismatch). */
  variant?: string[]
  /** The settings that differ between the two backends, the likeliest cause of a difference first. */
  differences: string[]
  /** When parity fails: why, in one sentence. */
  cause: string | null
}

/**
 * Losses are compared as RMS errors, in the output's unit: sqrt(loss) for MSE, sqrt(2 loss) for
 * Huber (its quadratic part), MAE as it is. That is the scale a user reads an error on, the one
 * float32 rounds predictions on, and it keeps a loss that is a small difference of large
 * predictions from doubling its relative differences.
 */
export function errorScale(spec: Pick<ExperimentSpec, 'loss'>, loss: number): number {
  // Cross-entropy is already on the scale people read it on (nats), as MAE is.
  if (spec.loss.name !== 'mse' && spec.loss.name !== 'huber') return loss
  if (!(loss >= 0)) return loss
  return Math.sqrt(spec.loss.name === 'huber' ? 2 * loss : loss)
}

/**
 * The floor of that comparison: FLOAT32_RESOLUTION of the targets' RMS, in the units the loss is
 * computed in (standardized targets have an RMS of 1). Errors below it are rounding.
 */
export function errorFloor(
  spec: Pick<ExperimentSpec, 'standardize' | 'loss'>,
  yMeanSquare: number | undefined,
): number {
  // A log loss is in nats whatever the labels: the float32 floor of a loss of order 1.
  if (classificationLoss(spec.loss.name)) return FLOAT32_RESOLUTION
  return FLOAT32_RESOLUTION * Math.sqrt(spec.standardize.y ? 1 : (yMeanSquare ?? 0))
}

/** |a - b| relative to the larger of the two and the floor; a non-finite value equals only its like. */
export function relativeDifference(a: number, b: number, floor = 0): number {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Object.is(a, b) ? 0 : Number.POSITIVE_INFINITY
  const scale = Math.max(Math.abs(a), Math.abs(b), floor)
  return scale === 0 ? 0 : Math.abs(a - b) / scale
}

function weightsDifference(a: WeightsJson[], b: WeightsJson[]): number {
  let worst = 0
  a.forEach((wa, k) => {
    const wb = b[k]
    const xs = [...wa.kernel, ...wa.bias]
    const ys = wb ? [...wb.kernel, ...wb.bias] : []
    if (xs.length !== ys.length) {
      worst = Number.POSITIVE_INFINITY
      return
    }
    let diff = 0
    let size = 0
    for (const [i, x] of xs.entries()) {
      const y = ys[i] as number
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        if (!Object.is(x, y)) diff = Number.POSITIVE_INFINITY
        continue
      }
      diff = Math.max(diff, Math.abs(x - y))
      size = Math.max(size, Math.abs(x), Math.abs(y))
    }
    worst = Math.max(worst, diff === 0 ? 0 : diff / size)
  })
  return worst
}

const finite = (xs: Iterable<number>) => {
  for (const x of xs) if (!Number.isFinite(x)) return false
  return true
}

/** A side's first trial with a NaN or infinite loss or final weight. */
function divergedTrial(r: ExperimentResult): string | null {
  const bad = r.trials.find(
    (t) =>
      t.diverged || !finite(t.history.loss) || !t.weights.every((w) => finite(w.kernel) && finite(w.bias)),
  )
  return bad?.id ?? null
}

const label = (r: ExperimentResult, point: number) =>
  paramsLabel(r.grid.points[point] ?? {}) || `point ${point}`

/**
 * The settings that differ, the likeliest cause of a curve difference first: what changes the
 * first epoch (initial weights, order, batch size, loss reduction), then Adam's epsilon.
 */
export function settingDifferences(
  a: TrainSettings | null | undefined,
  b: TrainSettings | null | undefined,
  names: [string, string],
  o: { beta2: number; fullBatch: boolean },
): string[] {
  if (!a || !b) {
    const missing = names.filter((_, i) => ![a, b][i])
    return [`settings unknown for ${missing.join(' and ')} (results from an older dualfit)`]
  }
  const [na, nb] = names
  const vs = (x: unknown, y: unknown) => `${x} (${na}) vs ${y} (${nb})`
  const out: string[] = []
  if (a.initializer !== b.initializer)
    out.push(`initial weights: ${vs(a.initializer, b.initializer)}; the curves differ from the first epoch`)
  // One batch of every row: the order only permutes a sum.
  if (a.order !== b.order && !o.fullBatch) out.push(`batch order: ${vs(a.order, b.order)}`)
  if (a.batchSize !== b.batchSize) out.push(`batch size: ${vs(a.batchSize, b.batchSize)}`)
  if (a.lossReduction !== b.lossReduction)
    out.push(`loss reduction: ${vs(a.lossReduction, b.lossReduction)}; gradients differ by the batch size`)
  const pa = a.probabilities ?? null
  const pb = b.probabilities ?? null
  if (pa && pb && (pa.at !== pb.at || String(pa.clip) !== String(pb.clip))) {
    const clipped = pa.clip ?? pb.clip
    out.push(
      `${pa.activation}: ${vs(probabilitiesLabel(pa), probabilitiesLabel(pb))}${
        clipped && String(pa.clip) !== String(pb.clip)
          ? `; the losses differ only where a probability passes the clip: past it the loss stops at -log(${clipped[0]}) = ${(-Math.log(clipped[0])).toFixed(1)} and that row's gradient is 0`
          : ''
      }`,
    )
  }
  const ea = a.epsilon
  const eb = b.epsilon
  if (ea && eb && ea.value !== eb.value) out.push(`Adam epsilon: ${vs(ea.value, eb.value)}`)
  if (ea && eb && ea.placement !== eb.placement) {
    // In PyTorch's form, Keras' eps_hat is eps / sqrt(1 - beta2^t): largest at the first step.
    const first = 1 / Math.sqrt(1 - o.beta2)
    out.push(
      `Adam epsilon placement: ${vs(`'${ea.placement}'`, `'${eb.placement}'`)}; in PyTorch's form eps_hat is eps / sqrt(1 - beta2^t), ${first.toPrecision(3)}x eps at step 1, so steps differ most early on and wherever gradients are small`,
    )
  }
  if ((ea === null) !== (eb === null))
    out.push(`optimizer: ${vs(ea ? 'Adam' : 'not Adam', eb ? 'Adam' : 'not Adam')}`)
  return out
}

function probabilitiesLabel(p: NonNullable<TrainSettings['probabilities']>): string {
  const where = p.at === 'loss' ? `in the loss (logits out of the model)` : 'as the last layer'
  return `${where}, ${p.clip ? `probabilities clipped to [${p.clip[0]}, 1 - ${p.clip[0]}]` : 'unclipped'}`
}

/** Compares `a` and `b`, runs of one spec on two backends. */
export function parity(
  a: ExperimentResult,
  b: ExperimentResult,
  tolerance = DEFAULT_PARITY_TOLERANCE,
  options: { variant?: boolean } = {},
): ParityReport {
  // Two engines of one backend are told apart by their engine.
  const same = a.backend.id === b.backend.id
  const names = [a, b].map((r) => (same ? `${r.backend.id}:${r.backend.engine.id}` : r.backend.id)) as [
    string,
    string,
  ]
  // One engine against itself on a variant of the spec (parity --versus).
  if (names[0] === names[1] && a.specHash !== b.specHash) names[1] += ' (variant)'
  const floor = errorFloor(a.spec, a.data.yMeanSquare)
  const mismatches: string[] = []
  const fields = specDifferences(a.spec, b.spec).map((f) => `${f.path} ${f.a} vs ${f.b}`)
  if (a.specHash !== b.specHash && !options.variant)
    mismatches.push(
      fields.length > 0
        ? `different specs: ${list(fields)}`
        : `different specs (${a.specHash.slice(0, 12)} vs ${b.specHash.slice(0, 12)})`,
    )
  if (a.selection.selected !== b.selection.selected)
    mismatches.push(
      `selected ${label(a, a.selection.selected)} (${names[0]}) vs ${label(b, b.selection.selected)} (${names[1]})`,
    )
  const others = new Map(b.trials.map((t) => [t.id, t]))
  const unpaired = a.trials.filter((t) => !others.has(t.id)).map((t) => t.id)
  const seen = new Set(a.trials.map((t) => t.id))
  unpaired.push(...b.trials.filter((t) => !seen.has(t.id)).map((t) => t.id))
  if (unpaired.length > 0) mismatches.push(`trials run by one side only: ${list(unpaired)}`)
  const lengths: string[] = []
  let peak: CurvePoint | null = null
  let part: CurvePoint | null = null
  let weights = { max: 0, trial: null as string | null }
  let paired = 0
  for (const ta of a.trials) {
    const tb = others.get(ta.id)
    if (!tb) continue
    paired++
    if (ta.history.loss.length !== tb.history.loss.length)
      lengths.push(`${ta.id} ${ta.history.loss.length} vs ${tb.history.loss.length}`)
    const curve = compareCurves(a.spec, ta, tb, floor, tolerance)
    if (curve.peak && (!peak || curve.peak.difference > peak.difference)) peak = curve.peak
    if (curve.part && (!part || curve.part.epoch < part.epoch)) part = curve.part
    const w = weightsDifference(ta.weights, tb.weights)
    if (w > weights.max || weights.trial === null) weights = { max: w, trial: ta.id }
  }
  if (lengths.length > 0) mismatches.push(`epochs run differ (early stopping): ${list(lengths)}`)
  const curvesMax = peak?.difference ?? 0
  // Two NaN curves are alike but say nothing: a side that diverged fails parity in its own word.
  const diverged = [a, b].flatMap((r, i) => {
    const trial = divergedTrial(r)
    return trial ? [{ backend: names[i] as string, trial }] : []
  })
  const within = curvesMax <= tolerance && weights.max <= tolerance && mismatches.length === 0
  const ok = within && diverged.length === 0
  const differences = settingDifferences(a.backend.settings, b.backend.settings, names, {
    beta2: a.spec.optimizer.beta2,
    fullBatch: a.spec.batchSize === 'full',
  })
  return {
    spec: a.spec.name,
    backends: names,
    tolerance,
    floor,
    ok,
    verdict: diverged.length > 0 ? 'diverged' : ok ? 'within' : 'beyond',
    diverged,
    paired,
    curves: { max: curvesMax, peak, part },
    weights,
    mismatches,
    ...(options.variant ? { variant: fields } : {}),
    differences,
    cause: ok
      ? null
      : diverged.length > 0
        ? `${diverged.map((d) => `${d.backend} (${d.trial})`).join(' and ')} diverged: a loss or weight is NaN or infinite, so there is nothing to compare`
        : causeOf(a.spec, differences, part, floor),
  }
}

/** The spec fields whose values differ, as dotted paths with both values (JSON). */
function specDifferences(a: unknown, b: unknown, path = ''): { path: string; a: string; b: string }[] {
  const isNode = (v: unknown) => v !== null && typeof v === 'object'
  if (isNode(a) && isNode(b)) {
    const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])]
    return keys.flatMap((k) =>
      specDifferences(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k,
      ),
    )
  }
  const ja = JSON.stringify(a) ?? 'nothing'
  const jb = JSON.stringify(b) ?? 'nothing'
  return ja === jb ? [] : [{ path, a: ja, b: jb }]
}

function list(items: string[], shown = 3): string {
  const head = items.slice(0, shown).join(', ')
  return items.length > shown ? `${head} and ${items.length - shown} more` : head
}

function compareCurves(
  spec: ExperimentSpec,
  a: TrialResult,
  b: TrialResult,
  floor: number,
  tolerance: number,
): { peak: CurvePoint | null; part: CurvePoint | null } {
  let peak: CurvePoint | null = null
  let part: CurvePoint | null = null
  const n = Math.min(a.history.loss.length, b.history.loss.length)
  let first = 0
  for (let e = 0; e < n; e++) {
    const la = a.history.loss[e] as number
    const lb = b.history.loss[e] as number
    const d = relativeDifference(errorScale(spec, la), errorScale(spec, lb), floor)
    if (e === 0) first = d
    const point = { trial: a.id, epoch: e + 1, difference: d, losses: [la, lb] as [number, number], first }
    if (!peak || d > peak.difference) peak = point
    if (!part && d > tolerance) part = point
  }
  return { peak, part }
}

function causeOf(
  spec: ExperimentSpec,
  differences: string[],
  part: CurvePoint | null,
  floor: number,
): string {
  if (differences.length > 0) return differences[0] as string
  const why = "no setting differs: the engines' own arithmetic (operation order, float32 or float64 updates)"
  if (!part) return why
  const sci = (x: number) => x.toPrecision(2)
  const epochs = Math.max(1, part.epoch - 1)
  const growth = part.first > 0 ? (part.difference / part.first) ** (1 / epochs) : Number.NaN
  const near = Math.max(...part.losses.map((l) => errorScale(spec, l))) < 1e3 * floor
  return `${why}: ${part.trial} starts ${sci(part.first)} apart after epoch 1 and training amplifies that${
    Number.isFinite(growth) && growth > 1 ? ` about ${growth.toPrecision(2)}x an epoch` : ''
  }, to ${sci(part.difference)} at epoch ${part.epoch}${near ? ', where the error is within 1000x of the float32 floor' : ''}`
}
