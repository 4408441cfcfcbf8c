export { ConformanceError } from './assertions.js'
export { CHECK_TITLES, type Check, type CheckName, type CheckOptions, checks } from './checks/index.js'
export { type DescribeOptions, describeBackend, resolveEngine } from './describe.js'
export { type Recorded, trainRecorded } from './record.js'
