/**
 * `dualfit bench` in the bundle: the launcher runs this module (app/bench.js) for the `bench`
 * command. It is @dualfit/benchmarks' own program, which the published CLI does not carry (the
 * benchmarks are private to this repository), named as the launcher was typed.
 */
import { benchMain } from '@dualfit/benchmarks'

const name = `${process.env.DUALFIT_SCRIPT_NAME ?? 'dualfit'} bench`
process.exitCode = await benchMain(process.argv.slice(2), name)
