/**
 * The conformance checks, each an async function that throws a ConformanceError naming what the
 * backend did wrong. describeBackend wraps each in a test; call them directly to test a checker.
 */
import { rejectsBadInput } from './bad-input.js'
import type { Check } from './check.js'
import { deterministic, frameworkConventions } from './determinism.js'
import { dispose, saves } from './files.js'
import { noLeaks } from './leaks.js'
import { frameworkOptimizers, l2Penalty, optimizerSteps, schedules } from './optimizers.js'
import { onnxRoundTrip, predicts } from './prediction.js'
import { declaresSettings } from './settings.js'
import { abortsWhenAsked, stopsWhenTold, tracksWeights } from './stopping.js'
import { batchOrder, classificationSteps, firstAdamStep, firstSgdStep, validationLoss } from './training.js'

export type { Check, CheckOptions } from './check.js'

/** Every check, in the order describeBackend runs them; dispose last. */
export const checks = {
  firstAdamStep,
  firstSgdStep,
  batchOrder,
  validationLoss,
  classificationSteps,
  optimizerSteps,
  frameworkOptimizers,
  schedules,
  l2Penalty,
  stopsWhenTold,
  abortsWhenAsked,
  tracksWeights,
  deterministic,
  frameworkConventions,
  declaresSettings,
  predicts,
  onnxRoundTrip,
  rejectsBadInput,
  noLeaks,
  saves,
  dispose,
} satisfies Record<string, Check>

export type CheckName = keyof typeof checks

export const CHECK_TITLES: Record<CheckName, string> = {
  firstAdamStep: 'first Adam step matches the float64 reference',
  firstSgdStep: 'first SGD step matches the float64 reference',
  batchOrder: 'visits rows in order(epoch), one step per batch',
  validationLoss: 'reports valLoss on job.validation',
  classificationSteps:
    'cross_entropy and binary_cross_entropy steps (from logits or not, SGD and Adam) match the float64 reference',
  optimizerSteps:
    "sgd, adam, adamw, rmsprop and adagrad steps under init keras, torch and tfjs match that convention's formulas, as settings() declares them",
  frameworkOptimizers:
    "under init 'framework', each optimizer's steps match the formulas and defaults settings() declares",
  schedules:
    'step, exponential, cosine and plateau schedules: EpochLogs.lr and the losses match keras, torch or the declared semantics',
  l2Penalty: "layers' l2 is in the gradient and in the reported loss",
  stopsWhenTold: 'stops at once when onEpochEnd says stop',
  abortsWhenAsked: 'an aborted hooks.signal stops training and rejects with its reason',
  tracksWeights: "onEpochEnd's weights() gives that epoch's weights as copies, without changing training",
  deterministic: 'the same job twice gives identical weights and losses',
  frameworkConventions: 'trains with initialWeights and order null, deterministically per seed',
  declaresSettings:
    'settings(job) states what train(job) applies: init, order, batch size, eps, reduction, probabilities',
  predicts: 'predict matches the float64 forward pass for every activation',
  onnxRoundTrip: 'the exported ONNX model predicts like backend.predict in onnxruntime',
  rejectsBadInput: 'rejects x that is not whole rows, and engines it does not offer',
  noLeaks: 'holds no more resources after many trials',
  saves: 'save() returns non-empty files for each of saveFormats',
  dispose: 'dispose() resolves',
}
