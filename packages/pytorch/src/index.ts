export {
  createBackend,
  DEFAULT_PYTHON,
  ENGINE_IDS,
  type EngineId,
  PyTorchBackend,
  type PyTorchOptions,
  SCRIPT,
} from './backend.js'
export { probeTorch, type TorchInfo } from './probe.js'
