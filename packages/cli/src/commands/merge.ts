import { resolve } from 'node:path'
import { type Backend, prepareExperiment, resolveEngine, UserError } from '@dualfit/core'
import type { Argv } from 'yargs'
import { load } from '../backends.js'
import {
  difference,
  entryKey,
  JOURNAL,
  type JournalEntry,
  type JournalHeader,
  JournalWriter,
  readJournal,
  sameRuns,
} from '../journal.js'
import { type Command, type Context, type ExecuteFlags, executeArgs, executeOptions } from '../options.js'
import { prepareOut } from '../outdir.js'
import type { Run } from '../runs.js'
import { type CompareResult, execute } from './compare.js'

export interface MergeArgs extends ExecuteFlags {
  dirs: string[]
  out: string
  signal: AbortSignal
  note: (line: string) => void
}

/** The shards' journals, checked to be slices of one run that do not overlap. */
function gather(dirs: string[]): { header: JournalHeader; entries: JournalEntry[] } {
  let header: JournalHeader | null = null
  const entries: JournalEntry[] = []
  const seen = new Map<string, string>()
  const shards = new Map<number, string>()
  for (const dir of dirs) {
    const j = readJournal(dir)
    if (!j)
      throw new UserError(`merge: '${dir}' holds no ${JOURNAL} (the --out of a dualfit compare --shard run)`)
    if (header && !sameRuns(j.header, header)) {
      throw new UserError(`merge: '${dir}' is a shard of another run: ${difference(j.header, header)}`)
    }
    const shard = j.header.shard
    if (header && shard?.count !== header.shard?.count) {
      throw new UserError(
        `merge: '${dir}' was cut into ${shard?.count ?? 1} shard(s), '${dirs[0]}' into ${header.shard?.count ?? 1}`,
      )
    }
    if (shard) {
      const twice = shards.get(shard.index)
      if (twice)
        throw new UserError(`merge: '${dir}' and '${twice}' are both shard ${shard.index}/${shard.count}`)
      shards.set(shard.index, dir)
    }
    for (const e of j.entries) {
      const key = entryKey(e.specHash, e.backend, e.trial.id)
      const other = seen.get(key)
      if (other)
        throw new UserError(`merge: trial ${e.trial.id} on ${e.backend} is in both '${other}' and '${dir}'`)
      seen.set(key, dir)
      entries.push(e)
    }
    header ??= j.header
  }
  if (!header) throw new UserError('merge: name the shard folders to combine')
  return { header, entries }
}

/** Combines shard journals into --out, then finishes the run there: selection and the final trials. */
export async function merge(a: MergeArgs): Promise<CompareResult> {
  if (a.dirs.some((d) => resolve(d) === resolve(a.out))) {
    throw new UserError(`merge: --out '${a.out}' is one of the shards; name a new folder`)
  }
  const { header, entries } = gather(a.dirs)
  prepareOut(a.out)
  const backends = new Map<string, Backend>()
  try {
    const runs: Run[][] = []
    for (const r of header.runs) {
      const row = runs.find((x) => x[0]?.exp.specHash === r.specHash)
      // A spec is prepared (its data read) once, however many backends run it.
      let exp = row?.[0]?.exp
      if (!exp) {
        exp = await prepareExperiment(r.raw, r.source, r.baseDir)
        if (exp.specHash !== r.specHash) {
          throw new UserError(`merge: ${r.name} (${r.source}) no longer validates to the spec the shards ran`)
        }
      }
      let backend = backends.get(r.backend)
      if (!backend) {
        backend = await load(r.backend)
        backends.set(r.backend, backend)
      }
      const run: Run = {
        exp,
        name: r.backend,
        backend,
        engine: await resolveEngine(backend, { engine: r.engine }),
      }
      if (row) row.push(run)
      else runs.push([run])
    }
    const writer = JournalWriter.start(resolve(a.out, JOURNAL), { ...header, shard: null })
    for (const e of entries) writer.append(e)
    writer.close()
    return await execute(runs, { ...a, resume: true, shard: null })
  } finally {
    for (const b of backends.values()) await b.dispose()
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
              describe: 'shard folders',
            })
            .option('out', {
              type: 'string',
              demandOption: true,
              describe: 'folder for the combined results',
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
