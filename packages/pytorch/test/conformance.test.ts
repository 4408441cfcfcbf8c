import { describeBackend } from '@dualfit/backend-testkit'
import { createBackend, type PyTorchBackend } from '../src/index.js'
import { unavailableReason } from './helpers.js'

let backend: PyTorchBackend | undefined

// Skipped, with the reason in its name, where python or torch is missing.
describeBackend(() => (backend = createBackend()), {
  skip: await unavailableReason(),
  // One python process per instance, however many trials: the count must stay flat.
  liveResources: () => (backend?.pid === undefined ? 0 : 1),
})
