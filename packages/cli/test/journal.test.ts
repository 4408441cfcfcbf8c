/** The file store: what counts as no journal, as damaged, and as someone else's file; writing and continuing. */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { StoredTrial } from '@dualfit/core'
import { afterAll, describe, expect, it } from 'vitest'
import { JOURNAL, JournalStore, NEXT_JOURNAL, readJournal } from '../src/journal.js'

const dir = mkdtempSync(join(tmpdir(), 'dualfit-journal-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let made = 0
const file = (text: string) => {
  const path = join(dir, `j${made++}.jsonl`)
  writeFileSync(path, text)
  return path
}
const folder = () => {
  const path = join(dir, `o${made++}`)
  mkdirSync(path)
  return path
}
const header = { kind: 'dualfit.journal', version: 3, runs: [], shard: null }
const identity = { runs: [], shard: null }
const stored = (id: string): StoredTrial =>
  ({ specHash: 'a', backend: 'b', trial: { id, finalLoss: Number.POSITIVE_INFINITY }, settings: {} }) as never

describe('readJournal', () => {
  it('holds no journal when absent, and no run when empty or cut inside its header line', () => {
    expect(readJournal(join(dir, 'absent.jsonl'))).toBeNull()
    expect(readJournal(file(''))?.identity).toBeNull()
    expect(readJournal(file(JSON.stringify(header).slice(0, 30)))?.identity).toBeNull()
  })

  it('reads the header and its records as written, dropping an incomplete last line', () => {
    const entry = {
      specHash: 'a',
      backend: 'b',
      trial: { id: 't', finalLoss: 'Infinity' },
      settings: { x: 1 },
    }
    const path = file(`${JSON.stringify(header)}\n${JSON.stringify(entry)}\n{"spec`)
    const j = readJournal(path)
    expect(j?.identity).toEqual(identity)
    // Raw: core checks and revives each record against the plan.
    expect(j?.records).toEqual([{ ...entry, where: `${path}: line 2` }])
  })

  it.each([
    ['my notes', 'not a dualfit journal'],
    ['my notes\n', 'not a dualfit journal'],
    [`${JSON.stringify({ ...header, version: 2 })}\n`, 'journal version 2, this dualfit reads version 3'],
    [`${JSON.stringify({ ...header, shard: { index: 3, count: 2 } })}\n`, 'line 1: shard: expected null or'],
    [`${JSON.stringify(header)}\n{oops\n`, 'line 2 is not JSON; the journal is damaged'],
    [`${JSON.stringify(header)}\n[1]\n`, 'line 2: expected {"specHash", "backend", "trial", "settings"}'],
  ])('refuses %j', (text, message) => {
    expect(() => readJournal(file(text))).toThrow(message)
  })
})

describe('JournalStore', () => {
  it('writes a header and one line per trial, with non-finite numbers spelled out', async () => {
    const out = folder()
    const s = new JournalStore(out, false)
    expect(await s.read()).toBeNull()
    await s.begin(identity)
    await s.append(stored('t1'))
    await s.close()
    const lines = readFileSync(join(out, JOURNAL), 'utf8').trim().split('\n')
    expect(JSON.parse(lines[0] as string)).toEqual(header)
    expect(JSON.parse(lines[1] as string).trial).toEqual({ id: 't1', finalLoss: 'Infinity' })
  })

  it('continues after cutting a killed write, and counts what it holds', async () => {
    const out = folder()
    const first = new JournalStore(out, false)
    await first.begin(identity)
    await first.append(stored('t1'))
    await first.close()
    appendFileSync(join(out, JOURNAL), '{"specHash":"a","back')
    const again = new JournalStore(out, true)
    expect((await again.read())?.records.map((r) => (r.trial as { id: string }).id)).toEqual(['t1'])
    await again.append(stored('t2'))
    await again.close()
    expect(again.count).toBe(2)
    expect(readJournal(join(out, JOURNAL))?.records).toHaveLength(2)
  })

  it("journals a rerun beside a finished run's journal and swaps it in only when told", async () => {
    const out = folder()
    writeFileSync(join(out, 'results.json'), '{}')
    const old = `${JSON.stringify(header)}\n`
    writeFileSync(join(out, JOURNAL), old)
    const s = new JournalStore(out, false)
    expect(await s.read()).toBeNull()
    await s.begin(identity)
    await s.append(stored('t1'))
    await s.close()
    expect(readFileSync(join(out, JOURNAL), 'utf8')).toBe(old)
    s.finish()
    expect(existsSync(join(out, NEXT_JOURNAL))).toBe(false)
    expect(readJournal(join(out, JOURNAL))?.records).toHaveLength(1)
  })
})
