/**
 * Bounded inputs: spec, results and model files are read only from regular files, with a size cap,
 * and a data file that is not a regular file is refused at once. A former hang gets SIGINT after
 * 5 s: it must already have exited 2 (or 130). Runs the built CLI (`pnpm build` first).
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dualfit, fixture, tempDir, within5s } from './cli.js'

function mkfifo(path: string): void {
  expect(spawnSync('mkfifo', [path]).status).toBe(0)
}

const SPECIAL = 'cannot read (not a regular file: a FIFO, a device or a socket)'

describe('a device or a FIFO is refused at once, never read', () => {
  const cases: [string, string[], string][] = [
    ['report', ['report', '/dev/zero', '--out', 'r'], "results file '/dev/zero': "],
    ['export', ['export', '--results', '/dev/zero', '--out', 'm.onnx'], "results file '/dev/zero': "],
    ['compare --spec', ['compare', '--spec', '/dev/zero'], "spec file '/dev/zero': "],
    ['predict --model', ['predict', '--model', '/dev/zero', '--x', '1'], "ONNX file '/dev/zero': "],
    ['compare --spec FIFO', ['compare', '--spec', 'fifo.json'], "spec file 'fifo.json': "],
    ['report FIFO', ['report', 'fifo.json', '--out', 'r'], "results file 'fifo.json': "],
    ['predict --model FIFO', ['predict', '--model', 'fifo.json', '--x', '1'], "ONNX file 'fifo.json': "],
    ['compare --data FIFO', ['compare', '--data', 'fifo.csv', '--x', 'a', '--y', 'b'], 'fifo.csv: '],
    ['train --data FIFO', ['train', '--data', 'fifo.csv', '--x', 'a', '--y', 'b'], 'fifo.csv: '],
  ]
  it.each(cases)('%s: one line, exit 2, within 5 s', (_what, args, label) => {
    const cwd = tempDir()
    mkfifo(join(cwd, 'fifo.json'))
    mkfifo(join(cwd, 'fifo.csv'))
    const r = within5s(args, cwd)
    expect(r.stderr).toBe(`dualfit: ${label}${SPECIAL}\n`)
    expect(r.code).toBe(2)
    expect(r.ms).toBeLessThan(5000)
    expect(readdirSync(cwd).sort()).toEqual(['fifo.csv', 'fifo.json'])
  })
})

describe('size caps', () => {
  it('a spec file over 64 MB is refused by its size, before it is read', () => {
    const cwd = tempDir()
    writeFileSync(join(cwd, 'huge.json'), '{')
    truncateSync(join(cwd, 'huge.json'), 70 * 1024 * 1024)
    const r = within5s(['compare', '--spec', 'huge.json'], cwd)
    expect(r.stderr).toBe("dualfit: spec file 'huge.json': 70 MB is over the 64 MB limit for a spec file\n")
    expect(r.code).toBe(2)
  })

  it('a results file over 256 MB is refused by its size', () => {
    const cwd = tempDir()
    writeFileSync(join(cwd, 'r.json'), '{')
    truncateSync(join(cwd, 'r.json'), 300 * 1024 * 1024)
    const r = within5s(['export', '--results', 'r.json', '--out', 'm.onnx'], cwd)
    expect(r.stderr).toBe(
      "dualfit: results file 'r.json': 300 MB is over the 256 MB limit for a results file\n",
    )
    expect(r.code).toBe(2)
  })
})

describe('text a user hands over', () => {
  it('a spec file saved with a UTF-8 BOM is read', () => {
    const cwd = tempDir()
    writeFileSync(join(cwd, 'bom.json'), `\ufeff${readFileSync(fixture('mini.json'), 'utf8')}`)
    const r = dualfit(
      ['compare', '--spec', 'bom.json', '--set', 'epochs=2', '--quiet', '--format', 'json'],
      cwd,
    )
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).results[0].spec.name).toBe('mini')
  })

  it('--data - (stdin) is refused in one line, without waiting for input', () => {
    const cwd = tempDir()
    for (const command of ['compare', 'train']) {
      const r = within5s([command, '--data=-', '--x', 'a', '--y', 'b'], cwd)
      expect(r.stderr).toBe(
        "dualfit: --data '-': reading the data from stdin is not supported; save it to a file and name that\n",
      )
      expect(r.code).toBe(2)
    }
  })
})
