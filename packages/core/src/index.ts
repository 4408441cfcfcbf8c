export type * from './backend.js'
export {
  builtinDataset,
  builtinDatasets,
  type DataInfo,
  type Dataset,
  dataHash,
  listBuiltinDatasets,
  loadDataset,
  subset,
} from './datasets.js'
export { EarlyStopping, type EarlyStoppingRule } from './early-stopping.js'
export { isUserError, UserError } from './errors.js'
export { batches, batchOrder, type Fold, kFold } from './folds.js'
export * from './harness.js'
export { cloneWeights, initialWeights } from './init.js'
export { mae, mean, mse, sd } from './metrics.js'
export { BUILTIN_BACKENDS, loadBackend } from './registry.js'
export * from './results.js'
export { Rng } from './rng.js'
export { fitScaler, type Scaler, scaleSplit, unscaleModel } from './scaling.js'
export * from './spec.js'
