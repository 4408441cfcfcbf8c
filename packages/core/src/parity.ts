/**
 * Parity: given identical starts (weights, batch order), do two backends train the same? Paired
 * trials' per-epoch loss curves and final weights are compared, and the settings each backend
 * applied (Backend.settings) name the likely cause when they do not agree. When they do not agree
 * and nothing names a cause, the verdict is calibrated by the problem's own noise: the first
 * backend run again from initial weights one float32 ulp away (see `Calibration`).
 */
import type { TrainSettings } from './backend.js'
import type { ExperimentResult, ParameterDifference, SelfNoise, TrialResult, WeightsJson } from './results.js'
import { classificationLoss, type ExperimentSpec } from './spec.js'
import { paramsLabel } from './trials.js'

export const DEFAULT_PARITY_TOLERANCE = 1e-4

/**
 * Two backends whose differences fail the tolerance are still at parity when they differ by at
 * most this many times the first backend's difference from itself under a rounding-level
 * perturbation: the problem's own noise, which no engine can be closer than.
 */
export const NOISE_BAND = 2

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

/** One parameter of a final model on both sides: layer counted from 1, kernel index [input, unit]. */

/**
 * The noise calibration of a failed verdict: the first backend (A) against itself run again with
 * every initial weight and training row moved by one float32 ulp (A', runExperiment's perturb
 * 'ulp'). When rounding-level changes part A from itself as far as the backends part, the
 * difference is the problem's (e.g. a gradient at rounding level that Adam normalises into an
 * lr-sized step), not the engines'.
 */
export type Calibration =
  | { possible: false; why: string }
  | {
      possible: true
      /** The backend run twice. */
      backend: string
      perturbation: string
      /** A against A': the largest curve and final-weight differences over paired trials. */
      curves: number
      weights: number
      /** What A and B may differ by: max(tolerance, NOISE_BAND x A against A'). */
      band: { curves: number; weights: number }
      within: boolean
      /** The parameters that part most between A and A', largest first. */
      parameters: ParameterDifference[]
      /** The spec's optimizer: all but SGD normalise the gradient, so rounding in it can become a step. */
      optimizer: string
    }

export interface ParityReport {
  spec: string
  backends: [string, string]
  tolerance: number
  /**
   * float32's resolution of the errors compared (output units; nats for a log loss): two errors
   * that differ by no more than this are equal, whatever their size.
   */
  floor: number
  ok: boolean
  /**
   * 'within' the tolerance; 'noise': beyond it but within the problem's own noise (calibration);
   * 'diverged' when a side's losses or weights are not finite: there is nothing to compare.
   */
  verdict: 'within' | 'noise' | 'beyond' | 'diverged'
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
  /**
   * Present when the verdict failed the tolerance with no setting, spec field or run difference to
   * name: the noise calibration, or why none is possible. Absent while that run is still to be
   * made (wantsCalibration).
   */
  calibration?: Calibration
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
 * computed in (standardized targets have an RMS of 1). Errors that differ by less are equal.
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

/** Each layer's parameters (kernel then bias) with the layer's scale: the largest |value| on either side. */
function* layerPairs(a: WeightsJson[], b: WeightsJson[]) {
  for (const [k, wa] of a.entries()) {
    const wb = b[k]
    const xs = [...wa.kernel, ...wa.bias]
    const ys = wb ? [...wb.kernel, ...wb.bias] : []
    if (xs.length !== ys.length) {
      yield { layer: k, wa, xs, ys: null, size: 0 }
      continue
    }
    let size = 0
    for (const [i, x] of xs.entries()) {
      const y = ys[i] as number
      if (Number.isFinite(x) && Number.isFinite(y)) size = Math.max(size, Math.abs(x), Math.abs(y))
    }
    yield { layer: k, wa, xs, ys, size }
  }
}

/** |a - b| relative to the layer's scale; non-finite values equal only their like. */
const paramDifference = (x: number, y: number, size: number) =>
  !Number.isFinite(x) || !Number.isFinite(y)
    ? Object.is(x, y)
      ? 0
      : Number.POSITIVE_INFINITY
    : x === y
      ? 0
      : Math.abs(x - y) / size

function weightsDifference(a: WeightsJson[], b: WeightsJson[]): number {
  let worst = 0
  for (const { xs, ys, size } of layerPairs(a, b)) {
    if (!ys) return Number.POSITIVE_INFINITY
    for (const [i, x] of xs.entries()) worst = Math.max(worst, paramDifference(x, ys[i] as number, size))
  }
  return worst
}

/** The `count` parameters that differ most between two final models, largest first. */
function partingParameters(
  trial: string,
  a: WeightsJson[],
  b: WeightsJson[],
  count = 3,
): ParameterDifference[] {
  const out: ParameterDifference[] = []
  for (const { layer, wa, xs, ys, size } of layerPairs(a, b)) {
    if (!ys) continue
    for (const [i, x] of xs.entries()) {
      const y = ys[i] as number
      const difference = paramDifference(x, y, size)
      if (difference === 0) continue
      const bias = i >= wa.kernel.length
      out.push({
        trial,
        layer: layer + 1,
        part: bias ? 'bias' : 'kernel',
        // The kernel is [inputs, units] row-major.
        index: bias ? [i - wa.kernel.length] : [Math.floor(i / wa.units), i % wa.units],
        values: [x, y],
        difference,
      })
    }
  }
  return out.sort((p, q) => q.difference - p.difference).slice(0, count)
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
 * first epoch (initial weights, order, batch size, loss reduction, probabilities), then the
 * optimizer: its name, then what sizes its first steps, then what acts later (momentum's form,
 * the schedule).
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
  const oa = a.optimizer
  const ob = b.optimizer
  // Another optimizer differs in everything: its name says it all.
  if (oa && ob && oa.name !== ob.name) return [...out, `optimizer: ${vs(oa.name, ob.name)}`]
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
  if (!oa || !ob) {
    if ((ea === null) !== (eb === null))
      out.push(`optimizer: ${vs(ea ? 'Adam' : 'not Adam', eb ? 'Adam' : 'not Adam')}`)
    return out
  }
  return [...out, ...optimizerDifferences(oa, ob, vs)]
}

type OptimizerSettings = NonNullable<TrainSettings['optimizer']>

/** The optimizer's own settings that differ (same optimizer name), in that order. */
function optimizerDifferences(
  a: OptimizerSettings,
  b: OptimizerSettings,
  vs: (x: unknown, y: unknown) => string,
): string[] {
  const out: string[] = []
  const name = a.name === 'rmsprop' ? 'RMSprop' : a.name === 'adagrad' ? 'Adagrad' : a.name
  // The first step of RMSprop from v = 0 is lr g / sqrt((1 - rho) g^2) = lr / sqrt(1 - rho).
  if (a.rho !== b.rho && a.rho !== null && b.rho !== null)
    out.push(
      `RMSprop rho (PyTorch's alpha): ${vs(a.rho, b.rho)}; the first step from v = 0 is lr / sqrt(1 - rho): ${(1 / Math.sqrt(1 - a.rho)).toPrecision(3)} lr vs ${(1 / Math.sqrt(1 - b.rho)).toPrecision(3)} lr`,
    )
  if (a.initialAccumulator !== b.initialAccumulator)
    out.push(
      `Adagrad initial accumulator: ${vs(a.initialAccumulator, b.initialAccumulator)}; the first step is lr g / sqrt(acc0 + g^2): a full lr-sized step from 0, smaller where |g| is below sqrt(acc0)`,
    )
  if (a.centered !== b.centered) out.push(`RMSprop centered: ${vs(a.centered, b.centered)}`)
  const ra = a.rootEpsilon
  const rb = b.rootEpsilon
  if (ra && rb && ra.placement !== rb.placement) {
    const inside = ra.placement === 'sqrt(v + eps)' ? ra.value : rb.value
    out.push(
      `${name} epsilon placement: ${vs(`'${ra.placement}'`, `'${rb.placement}'`)}; inside the root epsilon adds sqrt(${inside}) = ${Math.sqrt(inside).toPrecision(2)} to the denominator, so steps differ wherever sqrt(v) is not far above that`,
    )
  }
  if (ra && rb && ra.value !== rb.value) out.push(`${name} epsilon: ${vs(ra.value, rb.value)}`)
  const wa = a.weightDecay
  const wb = b.weightDecay
  if ((wa?.value ?? 0) !== (wb?.value ?? 0)) out.push(`weight decay: ${vs(wa?.value ?? 0, wb?.value ?? 0)}`)
  if (wa && wb && wa.form !== wb.form) {
    const adaptive = a.name !== 'sgd'
    out.push(
      `weight decay form: ${vs(decayLabel(wa.form), decayLabel(wb.form))}${
        adaptive
          ? `; ${name} normalises the gradient, so an L2 term in it is normalised too and decays a weight by its gradient's size, not by lr wd w`
          : '; the same step for plain SGD, apart with momentum (decay in the gradient enters the velocity)'
      }`,
    )
  }
  const ma = a.momentum
  const mb = b.momentum
  if ((ma?.value ?? 0) !== (mb?.value ?? 0)) out.push(`momentum: ${vs(ma?.value ?? 0, mb?.value ?? 0)}`)
  if (ma && mb && ma.nesterov !== mb.nesterov) out.push(`Nesterov momentum: ${vs(ma.nesterov, mb.nesterov)}`)
  if (ma && mb && ma.form !== mb.form) {
    const scheduled = a.schedule !== null || b.schedule !== null
    out.push(
      `momentum form: ${vs(`'${ma.form}'`, `'${mb.form}'`)}; the same steps at a constant lr, apart once it changes${scheduled ? ' (a schedule changes it here)' : ''}`,
    )
  }
  const sa = a.schedule
  const sb = b.schedule
  if (sa?.name !== sb?.name) out.push(`schedule: ${vs(sa?.name ?? 'constant lr', sb?.name ?? 'constant lr')}`)
  else if (sa && sb && sa.semantics !== sb.semantics)
    out.push(
      `${sa.name} schedule semantics: ${vs(sa.semantics, sb.semantics)}${SCHEDULE_SEMANTICS[sa.name] ?? ''}`,
    )
  return out
}

const decayLabel = (form: 'decoupled' | 'gradient') =>
  form === 'decoupled' ? "decoupled (w -= lr wd w, Keras')" : "in the gradient (L2: g += wd w, PyTorch's)"

/** How a schedule's semantics differ (optimizers.ts, TrainSchedule); step and exponential agree. */
const SCHEDULE_SEMANTICS: Record<string, string> = {
  step: '; the same lr per epoch in both',
  exponential: '; the same lr per epoch in both',
  cosine: "; past tMax PyTorch's cosine climbs back towards lr, Keras' holds minLr",
  plateau:
    '; Keras counts an epoch as better by an absolute min_delta and reduces after patience bad epochs, PyTorch by a relative threshold and after more than patience',
}

function probabilitiesLabel(p: NonNullable<TrainSettings['probabilities']>): string {
  const where = p.at === 'loss' ? `in the loss (logits out of the model)` : 'as the last layer'
  return `${where}, ${p.clip ? `probabilities clipped to [${p.clip[0]}, 1 - ${p.clip[0]}]` : 'unclipped'}`
}

/**
 * Compares `a` and `b`, runs of one spec on two backends. `noise` is `a`'s spec run again on `a`'s
 * backend with `perturb: 'ulp'` (runExperiment): given when the verdict without it wanted it
 * (wantsCalibration), it calibrates the verdict.
 */
export function parity(
  a: ExperimentResult,
  b: ExperimentResult,
  tolerance = DEFAULT_PARITY_TOLERANCE,
  options: { variant?: boolean; noise?: ExperimentResult | SelfNoise } = {},
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
  const differences = settingDifferences(a.backend.settings, b.backend.settings, names, {
    beta2: a.spec.optimizer.beta2,
    fullBatch: a.spec.batchSize === 'full',
  })
  // Only a failure that nothing names is calibrated: a setting, a spec field or a run that differs
  // is a cause of its own, however small its effect.
  const unexplained =
    !within && diverged.length === 0 && isUnexplained(mismatches, differences, options.variant ? fields : [])
  const calibration = unexplained
    ? calibrate(a, names[0], { curves: curvesMax, weights: weights.max }, tolerance, options.noise ?? a.noise)
    : undefined
  const noise = calibration?.possible === true && calibration.within
  const ok = (within || noise) && diverged.length === 0
  return {
    spec: a.spec.name,
    backends: names,
    tolerance,
    floor,
    ok,
    verdict: diverged.length > 0 ? 'diverged' : within ? 'within' : noise ? 'noise' : 'beyond',
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
        : [
            options.variant && fields.length > 0 && differences.length === 0
              ? `the variant's ${list(fields)}`
              : causeOf(a.spec, differences, part, floor),
            calibration?.possible
              ? `beyond the problem's own noise: ${noiseNumbers(calibration, curvesMax)}`
              : '',
          ]
            .filter(Boolean)
            .join('; '),
    ...(calibration ? { calibration } : {}),
  }
}

/** True when `report` failed in a way the noise calibration may clear and it has not been run yet. */
export function wantsCalibration(r: ParityReport): boolean {
  return (
    r.verdict === 'beyond' &&
    r.calibration === undefined &&
    isUnexplained(r.mismatches, r.differences, r.variant ?? [])
  )
}

/** Nothing names a cause: no run, setting or (variant) spec field differs. */
const isUnexplained = (mismatches: string[], differences: string[], variant: string[]) =>
  mismatches.length === 0 && differences.length === 0 && variant.length === 0

const ULP_START = 'every nonzero initial weight, training input and target moved up by one float32 ulp'

/**
 * How far a run parts from itself run again one ulp away (runExperiment's perturb 'ulp'): what a
 * calibration needs of that run, small enough to keep in the first result (ExperimentResult.noise)
 * so that a report drawn again from results.json gives the same verdicts.
 */
export function selfNoise(a: ExperimentResult, rerun: ExperimentResult): SelfNoise {
  const self = parity(a, rerun)
  const worst = self.weights.trial
  const ta = a.trials.find((t) => t.id === worst)
  const tb = rerun.trials.find((t) => t.id === worst)
  return {
    curves: self.curves.max,
    weights: self.weights.max,
    parameters: ta && tb && worst ? partingParameters(worst, ta.weights, tb.weights) : [],
  }
}

/** The calibration of an unexplained failure; undefined while the perturbed run is still to be made. */
function calibrate(
  a: ExperimentResult,
  name: string,
  apart: { curves: number; weights: number },
  tolerance: number,
  rerun: ExperimentResult | SelfNoise | undefined,
): Calibration | undefined {
  if (a.spec.init === 'framework')
    return {
      possible: false,
      why: "under init 'framework' each backend draws its own initial weights: there are none given to move by one ulp, and two runs differ by more than rounding",
    }
  if (!rerun) return undefined
  const self = 'trials' in rerun ? selfNoise(a, rerun) : rerun
  const band = {
    curves: Math.max(tolerance, NOISE_BAND * self.curves),
    weights: Math.max(tolerance, NOISE_BAND * self.weights),
  }
  return {
    possible: true,
    backend: name,
    perturbation: ULP_START,
    curves: self.curves,
    weights: self.weights,
    band,
    within: apart.curves <= band.curves && apart.weights <= band.weights,
    parameters: self.parameters,
    optimizer: a.spec.optimizer.name,
  }
}

const sci = (x: number) => x.toPrecision(2)

/** Two numbers with just enough digits to tell them apart (at most 9). */
function distinct(x: number, y: number): [string, string] {
  for (let digits = 2; digits < 9; digits++) {
    const pair: [string, string] = [x.toPrecision(digits), y.toPrecision(digits)]
    if (pair[0] !== pair[1]) return pair
  }
  return [x.toPrecision(9), y.toPrecision(9)]
}

/** "backends 0.014 apart; keras-style 0.012 apart from itself from starts and rows one ulp away" (curves, then weights). */
function noiseNumbers(c: Extract<Calibration, { possible: true }>, curves: number, weights?: number): string {
  const w = weights === undefined ? '' : ` (final weights ${sci(weights)})`
  const cw = weights === undefined ? '' : ` (final weights ${sci(c.weights)})`
  return `loss curves of the backends ${sci(curves)} apart${w}; ${c.backend} ${sci(c.curves)} apart from itself from starts and rows one ulp away${cw}`
}

/**
 * The calibration in words: both numbers, the verdict, and the parameters that part most from
 * themselves, with why they do. Empty when the report has none.
 */
export function calibrationText(r: ParityReport): string[] {
  const c = r.calibration
  if (!c) return []
  if (!c.possible) return [`calibration is not possible: ${c.why}`]
  const lines = [
    `${noiseNumbers(c, r.curves.max, r.weights.max)}: ${
      c.within ? "within the problem's own noise" : "beyond the problem's own noise"
    } (${NOISE_BAND}x it allowed)`,
  ]
  if (c.parameters.length > 0) {
    const params = c.parameters
      .map((p) => `layer ${p.layer} ${p.part}[${p.index.join(',')}] (${distinct(...p.values).join(' vs ')})`)
      .join(', ')
    lines.push(
      `parting most from itself, in ${c.parameters[0]?.trial}: ${params}${
        c.optimizer === 'sgd'
          ? ''
          : `; where a gradient is at rounding level (on centred data, a bias's), ${c.optimizer} divides it by its own size and makes it an lr-sized step whose sign rounding decides`
      }`,
    )
  }
  return lines
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
  // A tolerance of 0 asks for identical curves (floor / 0 would pass any two).
  const atScale = tolerance > 0 ? floor / tolerance : floor
  for (let e = 0; e < n; e++) {
    const la = a.history.loss[e] as number
    const lb = b.history.loss[e] as number
    // numpy's allclose with rtol = tolerance and atol = floor: within the tolerance where both are
    // well above rounding, equal where they differ by no more than the floor.
    const d = relativeDifference(errorScale(spec, la), errorScale(spec, lb), atScale)
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
