/**
 * `dualfit bench` in the bundle: the launcher runs this module (app/bench.js) for the `bench`
 * command. It is @dualfit/benchmarks' own program, which the published CLI does not carry (the
 * benchmarks are private to this repository), named as the launcher was typed.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { benchMain } from '@dualfit/benchmarks'

const name = `${process.env.DUALFIT_SCRIPT_NAME ?? 'dualfit'} bench`
// The startup suite spawns the CLI on a spec: here app/bin.js and the specs copySpecs ships.
const app = dirname(fileURLToPath(import.meta.url))
process.exitCode = await benchMain(process.argv.slice(2), name, {
  cli: join(app, 'bin.js'),
  experiments: join(app, 'node_modules/@dualfit/experiments'),
})
