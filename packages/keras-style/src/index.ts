export { createBackend } from './backend.js'
