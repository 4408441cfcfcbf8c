/** Shards of one run, read from their stores, checked and put back together as one study. */
import type { Backend } from './backend.js'
import { resolveEngine } from './engines.js'
import { UserError } from './errors.js'
import { prepareExperiment, shardTrials } from './plan.js'
import {
  bothRuns,
  changedInput,
  checkStored,
  type RunIdentity,
  type StoredRun,
  type StoredTrial,
  sameRuns,
} from './store.js'
import type { StudyRun } from './study.js'

/** A shard's store as read back, and the name the user gave it (a folder, say). */
export interface ShardRead {
  name: string
  stored: StoredRun & { identity: RunIdentity }
}

/** The shards are slices of one run (same specs, data, backends, cut the same way) that do not repeat. */
function checkShards(shards: ShardRead[]): RunIdentity {
  const [first] = shards
  if (!first) throw new UserError('merge: name the shard folders to combine')
  const identity = first.stored.identity
  const seen = new Map<number, string>()
  for (const { name, stored } of shards) {
    if (!sameRuns(stored.identity, identity)) {
      const change = changedInput(identity, stored.identity)
      const why = change
        ? `${change.what} changed between '${first.name}' and '${name}' (sha256 ${change.a}, then ${change.b})`
        : bothRuns(stored.identity, identity)
      throw new UserError(`merge: '${name}' is a shard of another run: ${why}`)
    }
    const shard = stored.identity.shard
    if (shard?.count !== identity.shard?.count)
      throw new UserError(
        `merge: '${name}' was cut into ${shard?.count ?? 1} shard(s), '${first.name}' into ${identity.shard?.count ?? 1}`,
      )
    if (shard) {
      const twice = seen.get(shard.index)
      if (twice)
        throw new UserError(`merge: '${name}' and '${twice}' are both shard ${shard.index}/${shard.count}`)
      seen.set(shard.index, name)
    }
  }
  return identity
}

/** The run the shards ran, rebuilt here: each spec prepared once, checked to be the one they ran. */
async function rebuild(identity: RunIdentity, load: (backend: string) => Promise<Backend>) {
  const rows: StudyRun[][] = []
  const backends = new Map<string, Backend>()
  try {
    for (const r of identity.runs) {
      const row = rows.find((x) => x[0]?.exp.specHash === r.specHash)
      let exp = row?.[0]?.exp
      if (!exp) {
        exp = await prepareExperiment(r.raw, r.source, r.baseDir)
        if (exp.specHash !== r.specHash)
          throw new UserError(`merge: ${r.name} (${r.source}) no longer validates to the spec the shards ran`)
        if (exp.data.sha256 !== r.dataHash)
          throw new UserError(
            `merge: the data file '${r.data}' changed since the shards ran (sha256 ${r.dataHash.slice(0, 12)}..., now ${exp.data.sha256.slice(0, 12)}...)`,
          )
      }
      let backend = backends.get(r.backend)
      if (!backend) {
        backend = await load(r.backend)
        backends.set(r.backend, backend)
      }
      const run = {
        exp,
        name: r.backend,
        backend,
        engine: await resolveEngine(backend, { engine: r.engine }),
      }
      if (row) row.push(run)
      else rows.push([run])
    }
  } catch (e) {
    for (const b of backends.values()) await b.dispose()
    throw e
  }
  return { rows, backends: [...backends.values()] }
}

/** A note naming the shards that are not among those given, with the trials that will run here. */
function missingShards(identity: RunIdentity, shards: ShardRead[], runs: StudyRun[]): string | null {
  const count = identity.shard?.count
  if (!count) return null
  const have = new Set(shards.map((s) => s.stored.identity.shard?.index))
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !have.has(i))
  if (missing.length === 0) return null
  const trials = runs.reduce(
    (n, r) => n + missing.reduce((m, index) => m + shardTrials(r.exp, { index, count }).length, 0),
    0,
  )
  return `merge: shard(s) ${missing.map((i) => `${i}/${count}`).join(', ')} not given: their ${trials} trial(s) run here`
}

/**
 * The shards as one study: its runs (backends loaded with `load`; the caller disposes them), the
 * shards' trials, each checked before use so that no tampered or foreign trial reaches the merged
 * scores (a trial in two shards is refused), and a note when shards are missing.
 */
export async function mergeShards(shards: ShardRead[], load: (backend: string) => Promise<Backend>) {
  const identity = checkShards(shards)
  const { rows, backends } = await rebuild(identity, load)
  try {
    const seen = new Map<string, string>()
    const known: StoredTrial[] = []
    for (const { stored } of shards) {
      for (const [key, t] of checkStored(stored, rows.flat())) {
        const other = seen.get(key)
        if (other)
          throw new UserError(
            `merge: trial ${t.trial.id} on ${t.backend} is in both ${other} and ${stored.label}`,
          )
        seen.set(key, stored.label)
        known.push(t)
      }
    }
    return { rows, backends, known, missing: missingShards(identity, shards, rows.flat()) }
  } catch (e) {
    for (const b of backends) await b.dispose()
    throw e
  }
}
