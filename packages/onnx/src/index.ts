export {
  deviceOf,
  ENGINE_DETAIL,
  type Feeds,
  isOrtEngine,
  loadEngine,
  ORT_ENGINES,
  type OrtEngine,
  type OrtEngineId,
  type OrtSession,
  type OrtTensor,
  type Probe,
  probeEngine,
} from './engines.js'
export { CLASSES_KEY, classesOf, type ExportOptions, exportOnnx, TASK_KEY } from './export.js'
export { type ImportedModel, importOnnx, readOnnxFile } from './import.js'
export {
  type ActivationOp,
  gradName,
  linears,
  type Net,
  type NetOp,
  netOf,
  outputsOf,
  paramName,
} from './net.js'
export { predictOnnx } from './predict.js'
export { buildForwardGraph, buildTrainingGraph, LOSS } from './train.js'
