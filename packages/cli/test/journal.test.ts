/** Reading a journal back: what counts as none, as damaged, and as someone else's file. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readJournal } from '../src/journal.js'

const dir = mkdtempSync(join(tmpdir(), 'dualfit-journal-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const file = (text: string) => {
  const path = join(dir, `j${Math.random().toString(16).slice(2)}.jsonl`)
  writeFileSync(path, text)
  return path
}
const header = { kind: 'dualfit.journal', version: 2, runs: [], shard: null }

describe('readJournal', () => {
  it('holds no journal when absent, empty, or cut inside its header line', () => {
    expect(readJournal(join(dir, 'absent.jsonl'))).toBeNull()
    expect(readJournal(file(''))).toBeNull()
    expect(readJournal(file(JSON.stringify(header).slice(0, 30)))).toBeNull()
  })

  it('reads the header and its entries, dropping an incomplete last line', () => {
    const entry = { specHash: 'a', backend: 'b', trial: { id: 't', finalLoss: 'Infinity' } }
    const j = readJournal(file(`${JSON.stringify(header)}\n${JSON.stringify(entry)}\n{"spec`))
    expect(j?.entries).toEqual([
      { specHash: 'a', backend: 'b', trial: { id: 't', finalLoss: Infinity }, line: 2 },
    ])
  })

  it.each([
    ['my notes', 'not a dualfit journal'],
    ['my notes\n', 'not a dualfit journal'],
    [`${JSON.stringify({ ...header, version: 1 })}\n`, 'journal version 1, this dualfit reads version 2'],
    [`${JSON.stringify({ ...header, shard: { index: 3, count: 2 } })}\n`, 'line 1: shard: expected null or'],
    [`${JSON.stringify(header)}\n{oops\n`, 'line 2 is not JSON; the journal is damaged'],
    [`${JSON.stringify(header)}\n[1]\n`, 'line 2: expected {"specHash", "backend", "trial"}'],
  ])('refuses %j', (text, message) => {
    expect(() => readJournal(file(text))).toThrow(message)
  })
})
