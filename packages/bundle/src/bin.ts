#!/usr/bin/env node
/** `pnpm bundle [--out DIR] [--level N] [--verbose]`: writes dist/dualfit-<version>-linux-x64.tar.gz and prints its path. */
import { parseArgs } from 'node:util'
import { buildBundle } from './build.js'

const OPTIONS = {
  out: { type: 'string' },
  level: { type: 'string' },
  dawn: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

/** The options, or one line and exit 2 for an unknown option or a missing value (never a stack trace). */
function options() {
  try {
    return parseArgs({ options: OPTIONS }).values
  } catch (e) {
    process.stderr.write(`pnpm bundle: ${(e as Error).message.split('\n')[0]}\n`)
    process.exit(2)
  }
}
const values = options()
if (values.help) {
  process.stdout.write(
    [
      'pnpm bundle [--out DIR] [--level 1-9] [--dawn] [--verbose]',
      '',
      'Writes DIR/dualfit-<version>-linux-x64.tar.gz (default DIR: dist/): the CLI, its backends, ONNX',
      'Runtime and TF.js binaries for linux-x64 and a Node 20 runtime. Unpack it and run ./dualfit.',
      '',
      '  --out DIR    where the archive goes',
      '  --level N    gzip level, 9 unless told (lower: faster, larger)',
      "  --dawn       also ship Dawn (the webgpu package) for keras-style's webgpu engine: +6.5 MB, over 60 MB",
      "  --verbose    also the bundler's notes (esbuild's passes, imports left outside app/ or left out)",
      '',
    ].join('\n'),
  )
  process.exit(0)
}
const level = values.level === undefined ? 9 : Number(values.level)
if (!Number.isInteger(level) || level < 1 || level > 9) {
  process.stderr.write(`pnpm bundle: --level must be 1 to 9, not '${values.level}'\n`)
  process.exit(2)
}
// A closed pipe (`pnpm bundle | head`) must not kill the build before it cleans up.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`
const started = Date.now()
try {
  const r = await buildBundle({
    ...(values.out ? { outDir: values.out } : {}),
    level,
    dawn: values.dawn === true,
    // The bundler's notes are for whoever changes the bundle; a user gets the size table and the path.
    ...(values.verbose ? { log: (line: string) => process.stderr.write(`${line}\n`) } : {}),
  })
  const w = Math.max(...r.parts.map((p) => p.part.length))
  const lines = [
    `dualfit ${r.version} for linux-x64, Node ${r.nodeVersion}${r.stripped ? ' (stripped)' : ''}; backends ${r.backends.join(', ')}${r.dawn ? '; with Dawn' : ''}`,
    'uncompressed:',
    ...r.parts.map((p) => `  ${p.part.padEnd(w)}  ${mb(p.bytes).padStart(8)}`),
    `archive: ${mb(r.bytes)} (${r.compressor}) in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  ]
  process.stderr.write(`${lines.join('\n')}\n`)
  process.stdout.write(`${r.archive}\n`)
} catch (e) {
  process.stderr.write(`pnpm bundle: ${(e as Error).message}\n`)
  process.exit(1)
}
