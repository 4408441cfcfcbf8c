import { existsSync } from 'node:fs'
import { describeBackend } from '@dualfit/backend-testkit'
import { SWIFTSHADER_ICD } from '@dualfit/core'
import { createBackend } from '../src/index.js'

describeBackend(createBackend)
describeBackend(createBackend, { engine: 'wasm' })

// The webgpu engine on SwiftShader, a software adapter (docs/backends.md): slow, so few leak trials.
if (existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD
describeBackend(createBackend, {
  engine: 'webgpu',
  trials: 5,
  ...(existsSync(SWIFTSHADER_ICD)
    ? {}
    : { skip: `no software Vulkan driver (${SWIFTSHADER_ICD}, Debian's chromium)` }),
})
