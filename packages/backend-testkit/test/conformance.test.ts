import { describeBackend } from '../src/index.js'
import { DoubleBackend, live } from './double.js'

describeBackend(() => new DoubleBackend(), { liveResources: () => live.handles })

// An async factory, an explicit engine, and the skip option: how other backends will call it.
describeBackend(async () => new DoubleBackend(), { engine: 'js', trials: 5 })
describeBackend(() => new DoubleBackend(), { skip: 'python3 with torch not found' })
