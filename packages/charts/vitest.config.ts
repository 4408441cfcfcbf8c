import { defineConfig } from 'vitest/config'

// Rendering and gzipping onnxruntime-web's wasm take seconds on a slow machine.
export default defineConfig({ test: { testTimeout: 60_000 } })
