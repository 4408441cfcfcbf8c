import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import { ORT_GLOBAL } from './page/shared.js'

const gzipAsync = promisify(gzip)
const require = createRequire(import.meta.url)

/**
 * The onnxruntime-web files a report ships in its `ort/` folder, so that its page runs the models
 * with no network: the wasm-only UMD bundle as it is, and two script files that carry what a page
 * opened from disk cannot fetch() (Chromium refuses fetch and module import of file:// URLs):
 *  - the Emscripten glue module `ort-wasm-simd-threaded.mjs`, as a string the page imports from a
 *    blob: URL (`env.wasm.wasmPaths.mjs`);
 *  - `ort-wasm-simd-threaded.wasm` (the single-threaded build needs no other), gzipped and in
 *    base64 (~4.9 MB instead of 14 MB), which the page inflates with DecompressionStream and passes
 *    as `env.wasm.wasmBinary`.
 * Served over http the same files work unchanged.
 */
export interface OrtAssets {
  version: string
  files: Record<string, string>
}

let cached: Promise<OrtAssets> | null = null

/** The ort/ files, built once per process (gzip of the wasm takes about a second). */
export function ortAssets(): Promise<OrtAssets> {
  cached ??= build()
  return cached
}

async function build(): Promise<OrtAssets> {
  // `onnxruntime-web/wasm` resolves, for require, to dist/ort.wasm.min.js: the UMD wasm-only bundle.
  const bundle = require.resolve('onnxruntime-web/wasm')
  const dist = dirname(bundle)
  const pkg = JSON.parse(readFileSync(join(dist, '..', 'package.json'), 'utf8')) as { version: string }
  const glue = readFileSync(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.mjs'), 'utf8')
  const wasm = readFileSync(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'))
  const gz = await gzipAsync(wasm, { level: 9 })
  const set = (field: string, value: string) =>
    `(window.${ORT_GLOBAL} = window.${ORT_GLOBAL} || {}).${field} = ${value};\n`
  return {
    version: pkg.version,
    files: {
      'ort/ort.wasm.min.js': readFileSync(bundle, 'utf8'),
      'ort/ort-wasm-simd-threaded.mjs.js': `// ort-wasm-simd-threaded.mjs of onnxruntime-web ${pkg.version}, as a string (see report.html)\n${set('glue', JSON.stringify(glue))}`,
      'ort/ort-wasm-simd-threaded.wasm.gz.js': `// ort-wasm-simd-threaded.wasm of onnxruntime-web ${pkg.version}, gzip, base64\n${set('wasmGzBase64', JSON.stringify(gz.toString('base64')))}`,
      'ort/NOTICE.txt': `These files come from onnxruntime-web ${pkg.version} (https://github.com/microsoft/onnxruntime),
MIT License, Copyright (c) Microsoft Corporation:

  ort.wasm.min.js                        dist/ort.wasm.min.js, unchanged
  ort-wasm-simd-threaded.mjs.js          dist/ort-wasm-simd-threaded.mjs, as a JavaScript string
  ort-wasm-simd-threaded.wasm.gz.js      dist/ort-wasm-simd-threaded.wasm, gzipped, in base64

The last two are wrapped in scripts so that report.html also works opened from disk (file://),
where a browser may not fetch() files.
`,
    },
  }
}
