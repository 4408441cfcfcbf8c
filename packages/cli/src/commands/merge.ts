import { join, resolve } from 'node:path'
import { mergeShards, UserError } from '@dualfit/core'
import type { Argv } from 'yargs'
import { load } from '../backend-choice.js'
import { pathOption } from '../io.js'
import { JOURNAL, readJournal } from '../journal.js'
import { type Command, type Context, type ExecuteFlags, executeArgs, executeOptions } from '../options.js'
import { prepareOut } from '../outdir.js'
import { SCRIPT_NAME } from '../script-name.js'
import { type CompareResult, execute } from './compare.js'

export interface MergeArgs extends ExecuteFlags {
  dirs: string[]
  out: string
  signal: AbortSignal
  note: (line: string) => void
}

/** Combines shard journals into --out, then finishes the run there: selection and the final trials. */
export async function merge(a: MergeArgs): Promise<CompareResult> {
  if (a.dirs.some((d) => resolve(d) === resolve(a.out))) {
    throw new UserError(`merge: --out '${a.out}' is one of the shards; name a new folder`)
  }
  const shards = a.dirs.map((dir) => {
    const stored = readJournal(join(dir, JOURNAL))
    if (!stored?.identity)
      throw new UserError(
        `merge: '${dir}' holds no ${JOURNAL} (the --out of a ${SCRIPT_NAME} compare --shard run)`,
      )
    return { name: dir, stored: { ...stored, identity: stored.identity } }
  })
  const { rows, backends, known, missing } = await mergeShards(shards, load)
  try {
    // The shards are checked first: a refused merge leaves no --out behind.
    prepareOut(a.out)
    if (missing) a.note(missing)
    // An interrupted merge into --out is continued by running the same merge again.
    return await execute(rows, {
      ...a,
      resume: 'if-any',
      known,
      again: `run the same ${SCRIPT_NAME} merge again to continue`,
      shard: null,
    })
  } finally {
    for (const b of backends) await b.dispose()
  }
}

export const mergeCommand: Command = {
  name: 'merge',
  register: (y: Argv, ctx: Context) =>
    y.command(
      'merge <dirs..>',
      'Combine the --out folders of `compare --shard i/n` runs and finish the run: selection, refit, results',
      (o) =>
        executeOptions(
          o
            .positional('dirs', {
              type: 'string',
              array: true,
              demandOption: true,
              // yargs gives a variadic positional a default of []: none to show for a required one.
              default: undefined,
              describe:
                'shard folders; trials of shards not named run here (a note says which), and running the same merge again continues an interrupted one',
            })
            .option('out', {
              type: 'string',
              demandOption: true,
              coerce: pathOption('--out'),
              describe: 'folder for the combined results (as compare --out)',
            }),
        ).example('$0 merge out-0/ out-1/ out-2/ --out all/', 'three shards of one run'),
      (a) =>
        ctx.finish(
          merge({
            ...executeArgs(a),
            dirs: (a.dirs ?? []).map(String),
            out: a.out,
            signal: ctx.signal,
            note: ctx.note,
          }),
        ),
    ),
}
