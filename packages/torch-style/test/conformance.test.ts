import { describeBackend } from '@dualfit/backend-testkit'
import { createBackend } from '../src/index.js'

describeBackend(createBackend)
describeBackend(createBackend, { engine: 'wasm' })
