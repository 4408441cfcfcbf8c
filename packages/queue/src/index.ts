export { QueueRun, type QueueRunOptions } from './coordinator.js'
export { checkUrl, shownUrl } from './redis.js'
export { runWorker, type WorkerOptions } from './worker.js'
