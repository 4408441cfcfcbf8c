import { describeBackend } from '../src/index.js'
import { DoubleBackend, live } from './double.js'

describeBackend(() => new DoubleBackend(), { liveResources: () => live.handles })

// An async factory, an explicit engine, and the skip option: how other backends will call it.
// The last is skipped on purpose, to exercise `skip`: its reason says so, not that something is missing.
describeBackend(async () => new DoubleBackend(), { engine: 'js', trials: 5 })
describeBackend(() => new DoubleBackend(), { skip: "deliberately, the testkit's own check of options.skip" })
