/** @dualfit/benchmarks: the `pnpm bench` suites, also `./dualfit bench` in the offline bundle. */
export { BenchUsageError, helpText, parseArgs, parseSuites } from './args.js'
export { type BenchIO, runBench } from './bench.js'
export { benchMain } from './main.js'
export { BENCH_SCHEMA_VERSION, type BenchDocument, buildDocument } from './schema.js'
export { evaluateTargets, formatTarget, TARGETS, type TargetResult, targetDefs } from './targets.js'
export type { BenchOptions, BenchRow, SuiteName } from './types.js'
export { SUITE_NAMES } from './types.js'
