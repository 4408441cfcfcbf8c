export type * from './backend.js'
export * from './codec.js'
export {
  builtinDataset,
  builtinDatasets,
  builtinTask,
  type DataInfo,
  type Dataset,
  dataHash,
  listBuiltinDatasets,
  loadDataset,
  MAX_CLASSES,
  subset,
} from './datasets.js'
export { alive, cleanDeadTemps, isTemp, makeDirs, outputProblem, tempName } from './dirs.js'
export { EarlyStopping, type EarlyStoppingRule } from './early-stopping.js'
export { type EngineChoice, listEngines, resolveEngine, SWIFTSHADER_ICD, softwareGpu } from './engines.js'
export { epochHooks, History, Stopping } from './epochs.js'
export { isUserError, UserError } from './errors.js'
export { EXACT_FUNCTIONS, type ExactFunction, exactFunction } from './exact.js'
export { formatBytes, MB, readBounded, readBoundedText } from './files.js'
export { type Fold, kFold, stratifiedKFold } from './folds.js'
export { cloneWeights, initialWeights, ulpWeights } from './init.js'
export { mergeShards, type ShardRead } from './merge.js'
export {
  argmaxRow,
  classMetrics,
  classProbabilities,
  mae,
  mean,
  median,
  modelProbabilities,
  mse,
  sd,
} from './metrics.js'
export { checkModel, forwardRow, forwardRows, rowsOf, softmax, transpose, weightsProblem } from './model.js'
export * from './optimizers.js'
export { batches, batchOrder } from './order.js'
export {
  type Calibration,
  type CurvePoint,
  calibrationText,
  DEFAULT_PARITY_TOLERANCE,
  errorFloor,
  errorScale,
  FLOAT32_RESOLUTION,
  NOISE_BAND,
  type ParityReport,
  parity,
  relativeDifference,
  selfNoise,
  settingDifferences,
  wantsCalibration,
} from './parity.js'
export * from './parse-spec.js'
export {
  type Experiment,
  finalTrials,
  hashSpec,
  MAX_TRIALS,
  type PlanCheck,
  type PlanSize,
  planSize,
  prepareExperiment,
  searchTrials,
  shardTrials,
  singleSteps,
  workloadOf,
} from './plan.js'
export { BUILTIN_BACKENDS, loadBackend } from './registry.js'
export * from './results.js'
export { Rng } from './rng.js'
export { type RunOptions, runExperiment, runSingle } from './run.js'
export { fitScaler, type Scaler, scaleSplit, unscaleModel } from './scaling.js'
export { higherIsBetter, scorePoints, selectPoint } from './select.js'
export * from './spec.js'
export type {
  RunIdentity,
  RunPart,
  Shard,
  StoredRun,
  StoredTrial,
  TrialStore,
} from './store.js'
export { runStudy, type StudyOptions, type StudyOutcome, type StudyRun } from './study.js'
export { buildJob, type Perturbation, runTrial, type TrialRun, timeToQuality } from './trial.js'
export * from './trials.js'
