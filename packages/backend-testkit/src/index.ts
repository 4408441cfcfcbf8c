export { CHECK_TITLES, type Check, type CheckName, type CheckOptions, checks } from './checks.js'
export { ConformanceError } from './compare.js'
export { type DescribeOptions, describeBackend, resolveEngine } from './describe.js'
export { type Recorded, trainRecorded } from './record.js'
