import { describeBackend } from '@dualfit/backend-testkit'
import * as tf from '@tensorflow/tfjs-core'
import { createBackend } from '../src/index.js'

// TF.js tensors are the resource a keras-style trial could leak.
describeBackend(createBackend, { liveResources: () => tf.memory().numTensors })
describeBackend(createBackend, { engine: 'wasm', liveResources: () => tf.memory().numTensors })
