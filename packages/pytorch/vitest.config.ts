import { defineConfig } from 'vitest/config'

// Tests start python and import torch (a second or more on a slow machine) and train small models.
export default defineConfig({
  test: { testTimeout: 60_000, hookTimeout: 60_000 },
})
