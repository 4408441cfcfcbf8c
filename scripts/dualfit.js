#!/usr/bin/env node
import { launch } from './launch.js'

await launch('packages/cli/dist/bin.js', { name: 'pnpm dualfit' })
