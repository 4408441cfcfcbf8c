/** @dualfit/benchmarks: `pnpm bench` suites, also run by `dualfit bench`. */
export { argvOf, BenchUsageError, benchOptions, helpText, optionsOf, parseArgs, parseSuites } from './args.js'
export { type BenchIO, runBench } from './bench.js'
export { BENCH_SCHEMA_VERSION, type BenchDocument, buildDocument } from './schema.js'
export { evaluateTargets, formatTarget, TARGETS, type TargetResult, targetDefs } from './targets.js'
export type { BenchOptions, BenchRow, SuiteName } from './types.js'
export { SUITE_NAMES } from './types.js'
