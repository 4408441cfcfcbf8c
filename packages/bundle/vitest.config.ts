import { defineConfig } from 'vitest/config'

// beforeAll builds the bundle (esbuild, then gzip -9 of ~150 MB); each test starts the bundled node.
export default defineConfig({
  test: { testTimeout: 300_000, hookTimeout: 300_000 },
})
