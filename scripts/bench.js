#!/usr/bin/env node
import { launch } from './launch.js'

await launch('benchmarks/dist/run.js')
