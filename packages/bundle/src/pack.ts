/** Phases 4 and 5: the launcher and README, the size of each part, and the .tar.gz. */
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, createWriteStream, existsSync, writeFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import { create as createTar } from 'tar'
import type { BundlePart } from './build.js'
import { EXTERNAL } from './external.js'
import { dirBytes, here } from './pkg.js'

/**
 * POSIX sh; readlink only to follow a symlink to it (skipped where missing), nothing else from PATH.
 * The CLI's usage lines, examples and messages name it as typed: `dualfit` where PATH finds this
 * file by that name, else the path it was run by (`./dualfit`).
 */
function launcher(): string {
  return `#!/bin/sh
# dualfit with its own Node (node/bin/node), from wherever this folder is unpacked.
self=$(readlink -f -- "$0" 2>/dev/null) || self=$0
case $self in */*) here=\${self%/*} ;; *) here=. ;; esac
name=$0
[ "$(command -v -- "\${0##*/}" 2>/dev/null)" = "$0" ] && name=\${0##*/}
DUALFIT_SCRIPT_NAME=$name
export DUALFIT_SCRIPT_NAME
# bench is the benchmarks' own program (app/bench.js), not a command of the published CLI.
if [ "$1" = bench ]; then
  shift
  exec "$here/node/bin/node" "$here/app/bench.js" "$@"
fi
exec "$here/node/bin/node" "$here/app/bin.js" "$@"
`
}

/** `top`/dualfit, and this package's README beside it. */
export function writeLauncher(top: string): void {
  writeFileSync(join(top, 'dualfit'), launcher())
  chmodSync(join(top, 'dualfit'), 0o755)
  const readme = join(here, '..', 'README.md')
  if (existsSync(readme)) copyFileSync(readme, join(top, 'README.md'))
}

/** Uncompressed bytes of the large parts of `top`, the rest summed last; and the total. */
export function measureParts(
  top: string,
  placed: Map<string, string>,
  dawn: boolean,
): { parts: BundlePart[]; total: number } {
  const app = join(top, 'app')
  const modules = join(app, 'node_modules')
  const size = (p: string) => (existsSync(p) ? dirBytes(p) : 0)
  const parts: BundlePart[] = [
    { part: 'node/ (Node runtime)', bytes: size(join(top, 'node')) },
    {
      part: 'onnxruntime-node (linux-x64 binding + libonnxruntime)',
      bytes: size(join(modules, 'onnxruntime-node')),
    },
    {
      part: 'onnxruntime-web (node entry + simd-threaded .wasm)',
      bytes: size(join(modules, 'onnxruntime-web')),
    },
    {
      part: '@tensorflow/tfjs-backend-wasm (.wasm)',
      bytes: size(join(modules, '@tensorflow/tfjs-backend-wasm')),
    },
    ...(dawn ? [{ part: 'webgpu (Dawn, dawn.node)', bytes: size(join(modules, 'webgpu')) }] : []),
    // Packages shipped because they hold a native addon (e.g. @resvg/resvg-js for the charts' PNGs).
    ...[...placed.keys()]
      .map((dest) => relative(modules, dest).split(sep).join('/'))
      .filter((name) => !EXTERNAL.includes(name) && !name.includes('/node_modules/'))
      .map((name) => ({ part: name, bytes: size(join(modules, name)) })),
    { part: 'app/*.js (esbuild output)', bytes: size(app) - size(modules) },
  ]
  const total = dirBytes(top)
  parts.push({
    part: 'other (onnxruntime-common, piscina, specs, launcher, README)',
    bytes: total - parts.reduce((n, p) => n + p.bytes, 0),
  })
  return { parts, total }
}

/**
 * Writes `stage/folder` as a .tar.gz: the tar stream from the tar package, compressed by GNU gzip
 * where it is installed (its deflate packs these binaries ~3% tighter than Node's zlib at level 9),
 * else by zlib.
 */
export async function writeArchive(
  stage: string,
  folder: string,
  file: string,
  level: number,
): Promise<string> {
  const tarStream = createTar({ cwd: stage, portable: true }, [folder]) as unknown as Readable
  const out = createWriteStream(file)
  if (spawnSync('gzip', ['--version'], { stdio: 'ignore' }).status === 0) {
    const gzip = spawn('gzip', [`-${level}`, '-n'], { stdio: ['pipe', 'pipe', 'inherit'] })
    const exited = new Promise<number | null>((done, fail) => {
      gzip.on('error', fail)
      gzip.on('close', done)
    })
    await Promise.all([pipeline(tarStream, gzip.stdin), pipeline(gzip.stdout, out)])
    const code = await exited
    if (code !== 0) throw new Error(`gzip -${level} exited with ${code}`)
    return `gzip -${level}`
  }
  await pipeline(tarStream, createGzip({ level }), out)
  return `zlib level ${level}`
}
