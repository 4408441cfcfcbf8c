import { afterAll } from 'vitest'
import { removeTempDirs } from './cli.js'

afterAll(removeTempDirs)
