/**
 * What a run carries in Redis for its workers: each spec as given, its data file's bytes (built-in
 * and inline data are in the spec), and the hashes a worker checks before it runs a trial, so that
 * a worker on another machine trains on exactly the coordinator's rows and spec.
 */
import { createHash, randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import {
  dataHash,
  type Experiment,
  hashSpec,
  isObject,
  MB,
  parseSpec,
  prepareExperiment,
  readBounded,
  type StudyRun,
  setPath,
  UserError,
} from '@dualfit/core'

/** Version of the payload's shape: a worker refuses a run it cannot read. */
export const PAYLOAD_VERSION = 1
/** A data file travels in one Redis string (at most 512 MB); past this, share the file instead. */
const FILE_LIMIT = 256 * MB

export interface CarriedSpec {
  raw: unknown
  source: string
  baseDir: string
  specHash: string
  /** sha256 of the rows (core's dataHash), checked after the worker loads them. */
  dataHash: string
  /** A file dataset's bytes (base64) and their sha256; null for built-in and inline data. */
  file: { sha256: string; base64: string } | null
}

export interface CarriedPart {
  spec: number
  /** The backend as the user named it, and the engine the coordinator resolved. */
  backend: string
  engine: string
}

export interface Payload {
  version: number
  specs: CarriedSpec[]
  parts: CarriedPart[]
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

/** The payload of a run of these experiment x backend pairs (parts in runStudy's order). */
export function payloadOf(runs: StudyRun[]): Payload {
  const experiments = [...new Set(runs.map((r) => r.exp))]
  return {
    version: PAYLOAD_VERSION,
    specs: experiments.map((exp) => {
      const d = exp.spec.dataset
      const bytes =
        'file' in d
          ? readBounded(
              resolve(exp.baseDir, d.file),
              `dataset.file '${d.file}'`,
              FILE_LIMIT,
              'a data file sent through --queue',
            )
          : null
      return {
        raw: exp.raw,
        source: exp.source,
        baseDir: exp.baseDir,
        specHash: exp.specHash,
        dataHash: exp.data.sha256,
        file: bytes ? { sha256: sha256(bytes), base64: bytes.toString('base64') } : null,
      }
    }),
    parts: runs.map((r) => ({ spec: experiments.indexOf(r.exp), backend: r.name, engine: r.engine.id })),
  }
}

/** The payload read back from Redis, its shape checked; a UserError names what is wrong. */
export function parsePayload(text: string, label: string): Payload {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    throw new UserError(`${label}: not JSON`)
  }
  if (!isObject(v) || v.version !== PAYLOAD_VERSION)
    throw new UserError(
      `${label}: payload version ${String(isObject(v) ? v.version : v)}, this dualfit reads version ${PAYLOAD_VERSION}`,
    )
  const specs = v.specs
  const parts = v.parts
  const specOk = (s: unknown) =>
    isObject(s) &&
    ['source', 'baseDir', 'specHash', 'dataHash'].every((k) => typeof s[k] === 'string') &&
    (s.file === null ||
      (isObject(s.file) && typeof s.file.sha256 === 'string' && typeof s.file.base64 === 'string'))
  const partOk = (p: unknown) =>
    isObject(p) &&
    typeof p.backend === 'string' &&
    typeof p.engine === 'string' &&
    Number.isInteger(p.spec) &&
    Array.isArray(specs) &&
    (p.spec as number) >= 0 &&
    (p.spec as number) < specs.length
  if (!Array.isArray(specs) || !specs.every(specOk) || !Array.isArray(parts) || !parts.every(partOk))
    throw new UserError(`${label}: expected {"specs": [...], "parts": [...]}`)
  return v as unknown as Payload
}

/**
 * The experiment a worker runs, rebuilt from what the run carried: a data file is written under
 * `dir` (named by its sha256, so runs that share it share one copy) and the spec pointed at it.
 * The file's bytes, the spec's hash and the rows' hash must all be the coordinator's.
 */
export async function rebuild(carried: CarriedSpec, dir: string): Promise<Experiment> {
  const { source } = carried
  if (hashSpec(parseSpec(carried.raw, source)) !== carried.specHash)
    throw new UserError(`${source}: the spec's sha256 is not the one the coordinator sent`)
  let raw = carried.raw
  let baseDir = carried.baseDir
  if (carried.file) {
    const bytes = Buffer.from(carried.file.base64, 'base64')
    if (sha256(bytes) !== carried.file.sha256)
      throw new UserError(`${source}: the data file's sha256 is not the one the coordinator sent`)
    const name = basename((raw as { dataset: { file: string } }).dataset.file)
    baseDir = join(dir, carried.file.sha256)
    const path = join(baseDir, name)
    if (!existsSync(path)) {
      mkdirSync(baseDir, { recursive: true })
      const temp = `${path}.${randomUUID()}.tmp`
      writeFileSync(temp, bytes)
      renameSync(temp, path)
    }
    raw = setPath(raw, 'dataset.file', path)
  }
  const exp = await prepareExperiment(raw, source, baseDir)
  if (dataHash(exp.dataset) !== carried.dataHash)
    throw new UserError(
      `${source}: the rows this worker loaded have sha256 ${dataHash(exp.dataset).slice(0, 12)}..., the coordinator's ${carried.dataHash.slice(0, 12)}... (another dualfit version?)`,
    )
  return exp
}
