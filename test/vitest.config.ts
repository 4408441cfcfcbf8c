import { defineConfig } from 'vitest/config'

// Each test spawns the CLI, which loads TensorFlow.js and ONNX Runtime: allow for a slow machine.
export default defineConfig({
  test: { testTimeout: 180_000, hookTimeout: 60_000, setupFiles: ['./setup.ts'] },
})
