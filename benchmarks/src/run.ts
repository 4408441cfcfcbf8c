#!/usr/bin/env node
/** `pnpm bench`: the suites side by side with real PyTorch (see README.md). */
import { benchMain } from './main.js'

process.exitCode = await benchMain(process.argv.slice(2), 'pnpm bench')
