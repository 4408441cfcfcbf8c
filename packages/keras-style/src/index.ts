export { createBackend } from './backend.js'
export { DEFAULT_ENGINE } from './engines.js'
export { saveLayersModel } from './save.js'
