#!/usr/bin/env node
import { launch } from './launch.js'

// `pnpm compare` is `pnpm dualfit compare`: its help and messages name the latter.
await launch('packages/cli/dist/bin.js', { args: ['compare'], name: 'pnpm dualfit' })
