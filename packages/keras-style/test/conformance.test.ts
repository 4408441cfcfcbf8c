import { existsSync } from 'node:fs'
import { describeBackend } from '@dualfit/backend-testkit'
import { SWIFTSHADER_ICD } from '@dualfit/core'
import * as tf from '@tensorflow/tfjs-core'
import { createBackend } from '../src/index.js'

// TF.js tensors are the resource a keras-style trial could leak.
describeBackend(createBackend, { liveResources: () => tf.memory().numTensors })
describeBackend(createBackend, { engine: 'wasm', liveResources: () => tf.memory().numTensors })

// The webgpu engine on SwiftShader, a software adapter (docs/backends.md): slow, so few leak trials.
if (existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD
describeBackend(createBackend, {
  engine: 'webgpu',
  liveResources: () => tf.memory().numTensors,
  trials: 5,
  ...(existsSync(SWIFTSHADER_ICD)
    ? {}
    : { skip: `no software Vulkan driver (${SWIFTSHADER_ICD}, Debian's chromium)` }),
})
