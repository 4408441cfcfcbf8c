import { join, resolve } from 'node:path'
import { type Backend, prepareExperiment, resolveEngine, shardTrials, UserError } from '@dualfit/core'
import type { Argv } from 'yargs'
import { load } from '../backends.js'
import { pathOption } from '../io.js'
import {
  changedInput,
  checkEntries,
  difference,
  JOURNAL,
  type Journal,
  type JournalEntry,
  type JournalHeader,
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

/** The shards' journals, checked to be slices of one run (same specs, data, backends) that do not overlap. */
function gather(dirs: string[]): { header: JournalHeader; journals: Journal[] } {
  let header: JournalHeader | null = null
  const journals: Journal[] = []
  const shards = new Map<number, string>()
  for (const dir of dirs) {
    const j = readJournal(join(dir, JOURNAL))
    if (!j)
      throw new UserError(`merge: '${dir}' holds no ${JOURNAL} (the --out of a dualfit compare --shard run)`)
    if (header && !sameRuns(j.header, header)) {
      const change = changedInput(header, j.header)
      const why = change
        ? `${change.what} changed between '${dirs[0]}' and '${dir}' (sha256 ${change.a}, then ${change.b})`
        : difference(j.header, header).replace(/^it is another run's journal: /, '')
      throw new UserError(`merge: '${dir}' is a shard of another run: ${why}`)
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
    journals.push(j)
    header ??= j.header
  }
  if (!header) throw new UserError('merge: name the shard folders to combine')
  return { header, journals }
}

/** The shards' trials, each checked against the plan; a trial in two shards is refused. */
function entriesOf(journals: Journal[], runs: Run[]): JournalEntry[] {
  const seen = new Map<string, string>()
  const entries: JournalEntry[] = []
  for (const j of journals) {
    for (const [key, e] of checkEntries(j, runs)) {
      const other = seen.get(key)
      if (other)
        throw new UserError(
          `merge: trial ${e.trial.id} on ${e.backend} is in both '${other}' and '${j.path}'`,
        )
      seen.set(key, j.path)
      entries.push(e)
    }
  }
  return entries
}

/** A note naming the shards that are not among the folders, when the run was cut into shards. */
function missingShards(header: JournalHeader, journals: Journal[], runs: Run[]): string | null {
  const count = header.shard?.count
  if (!count) return null
  const have = new Set(journals.map((j) => j.header.shard?.index))
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !have.has(i))
  if (missing.length === 0) return null
  const trials = runs.reduce(
    (n, r) => n + missing.reduce((m, index) => m + shardTrials(r.exp, { index, count }).length, 0),
    0,
  )
  const names = missing.map((i) => `${i}/${count}`).join(', ')
  return `merge: shard(s) ${names} not given: their ${trials} trial(s) run here`
}

/** Combines shard journals into --out, then finishes the run there: selection and the final trials. */
export async function merge(a: MergeArgs): Promise<CompareResult> {
  if (a.dirs.some((d) => resolve(d) === resolve(a.out))) {
    throw new UserError(`merge: --out '${a.out}' is one of the shards; name a new folder`)
  }
  const { header, journals } = gather(a.dirs)
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
        if (exp.data.sha256 !== r.dataHash) {
          throw new UserError(
            `merge: the data file '${r.data}' changed since the shards ran (sha256 ${r.dataHash.slice(0, 12)}..., now ${exp.data.sha256.slice(0, 12)}...)`,
          )
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
    // Checked before anything runs: no tampered or foreign trial reaches the merged scores.
    const known = entriesOf(journals, runs.flat())
    const missing = missingShards(header, journals, runs.flat())
    if (missing) a.note(missing)
    // An interrupted merge into --out is continued by running the same merge again.
    return await execute(runs, {
      ...a,
      resume: 'if-any',
      known,
      again: 'run the same dualfit merge again to continue',
      shard: null,
    })
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
