import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseArgs } from '../src/args.js'
import { runBench } from '../src/bench.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('runBench', () => {
  it('takes parsed options and refuses an existing --out file before it measures anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dualfit-bench-test-'))
    dirs.push(dir)
    const file = join(dir, 'mine.json')
    writeFileSync(file, '{"mine":1}')
    const opts = await parseArgs(['--suite', 'step', '--quick', '--out', file])
    if (opts === 'help') throw new Error('expected options')
    let out = ''
    let err = ''
    const code = await runBench(opts, {
      out: (s) => {
        out += s
      },
      err: (s) => {
        err += s
      },
      name: 'dualfit bench',
    })
    expect(code).toBe(2)
    // Only this line: no progress, so no engine was probed and no measurement started.
    expect(err).toBe(
      `dualfit bench: --out '${file}': a file is already there; pass --force to overwrite it\n`,
    )
    expect(out).toBe('')
    expect(readFileSync(file, 'utf8')).toBe('{"mine":1}')
  })
})
