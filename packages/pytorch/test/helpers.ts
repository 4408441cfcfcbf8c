import { expect } from 'vitest'
import { createBackend, DEFAULT_PYTHON } from '../src/index.js'

/** The interpreter the backend uses by default here. */
export const PYTHON = process.env.DUALFIT_PYTHON || DEFAULT_PYTHON

/** null when PyTorch runs here (the cpu engine's probe); otherwise why not. Starts no long-lived process. */
export const unavailableReason = (): Promise<string | null> =>
  (createBackend().engines[0] as { probe(): Promise<string | null> }).probe()

/** The suite's title, with the reason when it is skipped. */
export const titled = (title: string, reason: string | null) =>
  reason ? `${title} (skipped: ${reason})` : title

/** The error `p` rejects with; fails the test when it resolves or rejects with a non-Error. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(Error)
  return err as Error
}
