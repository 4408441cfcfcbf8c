export * from './engines.js'
export { checkModel, exportOnnx, transpose } from './export.js'
export * from './net.js'
export { buildForwardGraph, buildTrainingGraph, LOSS } from './train.js'
