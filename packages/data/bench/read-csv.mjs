// Measures CSV parsers on a 1e6-row, 3-column numeric file against pandas.read_csv.
// Not run by the tests. Usage: node bench/read-csv.mjs [rows] [repeats]
// Each candidate runs in its own node process so that its peak RSS (process.resourceUsage().maxRSS)
// is its own; "empty node" is the baseline the RSS budget is measured against.
// Run `pnpm --filter @dualfit/data build` first to include readTable itself.
import { spawnSync } from 'node:child_process'
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const self = fileURLToPath(import.meta.url)
const distIndex = new URL('../dist/index.js', import.meta.url)

// Same strictness as the library: decimal or scientific notation only.
const NUM = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/

function num(s, n) {
  if (!NUM.test(s)) throw new Error(`row ${n + 1}: not a number: ${s}`)
  return Number(s)
}

/** Collects 3 float columns into doubling Float32Arrays, as the library does. */
function sink() {
  let cap = 1024
  let n = 0
  let cols = [new Float32Array(cap), new Float32Array(cap), new Float32Array(cap)]
  return {
    row(a, b, c) {
      if (n === cap) {
        cap *= 2
        cols = cols.map((old) => {
          const grown = new Float32Array(cap)
          grown.set(old)
          return grown
        })
      }
      cols[0][n] = num(a, n)
      cols[1][n] = num(b, n)
      cols[2][n] = num(c, n)
      n++
    },
    result: () => ({ n, sum: cols[0].subarray(0, n).reduce((s, v) => s + v, 0) }),
  }
}

const candidates = {
  'empty node': async () => ({ n: 0, sum: 0 }),

  'csv-parse 7 (stream, on_record)': async (file) => {
    const { parse } = await import('csv-parse')
    const out = sink()
    let header = true
    const parser = parse({
      bom: true,
      skip_empty_lines: true,
      on_record(rec) {
        if (header) header = false
        else out.row(rec[0], rec[1], rec[2])
        return null
      },
    })
    createReadStream(file).pipe(parser)
    for await (const _ of parser);
    return out.result()
  },

  'papaparse 5 (stream, chunk)': async (file) => {
    const Papa = (await import('papaparse')).default
    const out = sink()
    let header = true
    await new Promise((resolve, reject) => {
      const stream = createReadStream(file, { encoding: 'utf8' })
      Papa.parse(stream, {
        skipEmptyLines: true,
        chunk(res) {
          for (const rec of res.data) {
            if (header) header = false
            else out.row(rec[0], rec[1], rec[2])
          }
        },
        complete: resolve,
        error: reject,
      })
    })
    return out.result()
  },

  'udsv 0.7 (chunk + handler)': async (file) => {
    const { inferSchema, initParser } = await import('udsv')
    const out = sink()
    let parser = null
    const onRow = (rec) => {
      out.row(rec[0], rec[1], rec[2])
    }
    for await (const chunk of createReadStream(file, { encoding: 'utf8' })) {
      parser ??= initParser(inferSchema(chunk))
      parser.chunk(chunk, parser.stringArrs, onRow)
    }
    parser.end()
    return out.result()
  },

  'csv-parser 3 (stream, objects)': async (file) => {
    const csv = (await import('csv-parser')).default
    const out = sink()
    const stream = createReadStream(file).pipe(csv({ headers: false, skipLines: 1, strict: true }))
    for await (const rec of stream) out.row(rec[0], rec[1], rec[2])
    return out.result()
  },

  '@dualfit/data readTable': async (file) => {
    const { readTable } = await import(distIndex.href)
    const t = await readTable(file, { format: 'csv', x: ['a', 'b'], y: ['c'] })
    let sum = 0
    for (let i = 0; i < t.n; i++) sum += t.x[i * 2]
    return { n: t.n, sum }
  },
}

async function child(name, file) {
  const t0 = performance.now()
  const r = await candidates[name](file)
  const seconds = (performance.now() - t0) / 1000
  process.stdout.write(JSON.stringify({ ...r, seconds, maxRSS: process.resourceUsage().maxRSS / 1024 }))
}

function pandas(file) {
  const code = `
import json, resource, sys, time
import pandas as pd
t0 = time.perf_counter()
df = pd.read_csv(sys.argv[1], dtype='float32')
s = time.perf_counter() - t0
print(json.dumps({"n": len(df), "seconds": s, "maxRSS": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`
  const r = spawnSync('/usr/bin/python3', ['-c', code, file], { encoding: 'utf8' })
  if (r.status !== 0) return { error: r.stderr.trim().split('\n').at(-1) }
  return JSON.parse(r.stdout)
}

function generate(file, rows) {
  // Mixed magnitudes and notations, like real measurements.
  let s = 'a,b,c\n'
  const parts = []
  for (let i = 0; i < rows; i++) {
    const a = (Math.sin(i) * 1000).toFixed(4)
    const b = (Math.cos(i) * 0.01).toExponential(5)
    const c = (i % 97) - 48.25
    s += `${a},${b},${c}\n`
    if (s.length > 1 << 20) {
      parts.push(s)
      s = ''
    }
  }
  parts.push(s)
  writeFileSync(file, parts.join(''))
}

async function main() {
  const rows = Number(process.argv[2] ?? 1e6)
  const repeats = Number(process.argv[3] ?? 3)
  const dir = mkdtempSync(join(tmpdir(), 'dualfit-bench-'))
  try {
    const file = join(dir, 'numbers.csv')
    generate(file, rows)
    console.log(`${rows} rows x 3 columns, ${(statSync(file).size / 1e6).toFixed(1)} MB, best of ${repeats}`)
    const results = []
    for (const name of Object.keys(candidates)) {
      if (name.startsWith('@dualfit') && !existsSync(distIndex)) continue
      let best = null
      for (let i = 0; i < repeats; i++) {
        const r = spawnSync(process.execPath, [self, '--child', name, file], { encoding: 'utf8' })
        if (r.status !== 0) {
          best = { error: r.stderr.trim().split('\n')[0] }
          break
        }
        const m = JSON.parse(r.stdout)
        if (!best || m.seconds < best.seconds) best = { ...m, maxRSS: Math.max(m.maxRSS, best?.maxRSS ?? 0) }
      }
      results.push({ name, ...best })
    }
    let py = null
    for (let i = 0; i < repeats; i++) {
      const r = pandas(file)
      if (r.error) {
        py = r
        break
      }
      if (!py || r.seconds < py.seconds) py = r
    }
    results.push({ name: 'pandas.read_csv (float32)', ...py })
    const base = results.find((r) => r.name === 'empty node')?.maxRSS ?? 0
    const ref = py?.seconds
    console.log('| parser | rows | seconds | x pandas | peak RSS MB | RSS over empty node MB |')
    console.log('| --- | --- | --- | --- | --- | --- |')
    for (const r of results) {
      if (r.error) {
        console.log(`| ${r.name} | error: ${r.error} | | | | |`)
        continue
      }
      const ratio = ref && r.seconds ? (r.seconds / ref).toFixed(2) : ''
      const over = r.name.startsWith('pandas') ? '' : (r.maxRSS - base).toFixed(0)
      console.log(
        `| ${r.name} | ${r.n} | ${r.seconds.toFixed(3)} | ${ratio} | ${r.maxRSS.toFixed(0)} | ${over} |`,
      )
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4])
else await main()
