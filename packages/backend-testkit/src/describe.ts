import { type Backend, isUserError, resolveEngine as resolveCoreEngine } from '@dualfit/core'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { fail } from './assertions.js'
import { CHECK_TITLES, type CheckName, type CheckOptions, checks } from './checks/index.js'

export interface DescribeOptions extends CheckOptions {
  /** Engine id to test; default: the backend's first engine whose probe() is null. */
  engine?: string
  /** Why the suite is registered as skipped (e.g. pytorch's probe: 'no python3 with torch'); null runs it. */
  skip?: string | null
  /** Per test, in ms (default 60000); the leak check runs `trials` jobs within it. */
  timeout?: number
}

/** The engine to run on: the requested one if it is offered and available, else the first available. */
export async function resolveEngine(backend: Backend, requested?: string): Promise<string> {
  try {
    return (await resolveCoreEngine(backend, { engine: requested })).id
  } catch (e) {
    if (!isUserError(e)) throw e
    const hint = requested === undefined ? '; pass options.skip to skip the suite' : ''
    fail(`${e.message}${hint}`, e)
  }
}

const NAMES = Object.keys(CHECK_TITLES) as CheckName[]

function register(backend: Backend, options: DescribeOptions, timeout: number): void {
  let engine = ''
  let disposed = false
  beforeAll(async () => {
    engine = await resolveEngine(backend, options.engine)
  }, timeout)
  // Also when the dispose test is filtered out or an earlier failure skipped it.
  afterAll(async () => {
    if (!disposed) await backend.dispose()
  }, timeout)
  for (const name of NAMES) {
    const run = async () => {
      if (name === 'dispose') disposed = true
      await checks[name](backend, engine, options)
    }
    if (name === 'saves' && !backend.saveFormats?.length)
      it.skip(`${CHECK_TITLES[name]} (no saveFormats)`, run)
    else it(CHECK_TITLES[name], run, timeout)
  }
}

/**
 * Registers `backend conformance: <id>`, one test per check, on a backend made by `create`.
 * The backend is made while vitest collects the file (its id names the suite) and disposed at the end.
 */
export function describeBackend(
  create: () => Backend | Promise<Backend>,
  options: DescribeOptions = {},
): void {
  const timeout = options.timeout ?? 60_000
  if (options.skip) {
    describe.skip(`backend conformance (skipped: ${options.skip})`, () => {
      for (const name of NAMES) it(CHECK_TITLES[name], () => {})
    })
    return
  }
  const made = create()
  if (made instanceof Promise)
    describe('backend conformance', async () => {
      const backend = await made
      describe(backend.id, () => register(backend, options, timeout))
    })
  else describe(`backend conformance: ${made.id}`, () => register(made, options, timeout))
}
