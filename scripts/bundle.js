#!/usr/bin/env node
import { launch } from './launch.js'

await launch('packages/bundle/dist/bin.js')
