/** Phase 1, the JavaScript: one esbuild graph, split into shared chunks, in app/. */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import * as esbuild from 'esbuild'
import { externalPlugin, PLATFORM, packageName } from './external.js'
import { exportTargets, type Pkg, short, writeJson } from './pkg.js'
import { addEntry, type Entry, type Found, workspacePlugin } from './workspace-plugin.js'

const BANNER = [
  // CommonJS code inside ESM chunks calls require() and reads __dirname (tfjs-backend-wasm's
  // Emscripten glue): give each chunk real ones.
  "import { createRequire as __dualfitCreateRequire } from 'node:module';",
  "import { fileURLToPath as __dualfitFileURLToPath } from 'node:url';",
  'const require = __dualfitCreateRequire(import.meta.url);',
  'const __dualfitFilename = __dualfitFileURLToPath(import.meta.url);',
  "const __dualfitDirname = __dualfitFileURLToPath(new URL('.', import.meta.url));",
].join('')
/** Free `__dirname`/`__filename` (CommonJS code) become the banner's; ESM modules' own ones stay. */
const DEFINE = { __dirname: '__dualfitDirname', __filename: '__dualfitFilename' }

/** A backend package as core's registry finds it: its exports (subpath -> entry name in app/). */
export interface Stub {
  pkg: Pkg
  exports: Record<string, string>
}

export interface JavaScript {
  metafile: esbuild.Metafile
  /** Shipped (external) packages by name, with the folder each was found in. */
  seen: Map<string, string>
  stubs: Stub[]
}

/**
 * Bundles the CLI's `bin`, the `bench` program (app/bench.js, which the launcher runs for
 * `./dualfit bench`) and every export of the `backends` into `app`, with app/package.json.
 */
export async function bundleJavaScript(o: {
  root: string
  app: string
  bin: string
  bench: string
  cli: Pkg
  backends: Pkg[]
  log: (line: string) => void
}): Promise<JavaScript> {
  const entries = new Map<string, Entry>([
    ['bin', { in: o.bin, out: 'bin' }],
    ['bench', { in: o.bench, out: 'bench' }],
  ])
  const stubs = o.backends.map((pkg) => backendEntries(pkg, entries))
  const seen = new Map<string, string>()
  const { result, found } = await settle(o.root, o.app, entries, seen, o.log)
  for (const [at, src] of found.assets) {
    mkdirSync(dirname(join(o.app, at)), { recursive: true })
    copyFileSync(src, join(o.app, at))
  }
  for (const u of found.unhandled) o.log(`left as is (resolves outside app/ in the bundle): ${u}`)
  checkImports(result.metafile, seen, o.log)
  writeJson(join(o.app, 'package.json'), {
    name: o.cli.name,
    version: o.cli.version,
    private: true,
    type: 'module',
    description: `${o.cli.json.description as string} (bundled for ${PLATFORM})`,
  })
  return { metafile: result.metafile, seen, stubs }
}

/** Adds an entry per export of a backend package (app/keras-style.js, app/<name>.<subpath>.js). */
function backendEntries(pkg: Pkg, entries: Map<string, Entry>): Stub {
  const exports: Record<string, string> = {}
  for (const [sub, file] of exportTargets(pkg)) {
    const name = short(pkg.name)
    const out = sub === '.' ? name : `${name}.${sub.slice(2).replace(/\//g, '.')}`
    addEntry(entries, { in: file, out })
    exports[sub] = out
  }
  return { pkg, exports }
}

/** Builds until the workspace plugin finds no module that needs an entry of its own. */
async function settle(
  root: string,
  app: string,
  entries: Map<string, Entry>,
  seen: Map<string, string>,
  log: (line: string) => void,
): Promise<{ result: esbuild.BuildResult<{ metafile: true }>; found: Found }> {
  for (let pass = 0; pass < 4; pass++) {
    const found: Found = { entries: new Map(entries), assets: new Map(), unhandled: new Set() }
    rmSync(app, { recursive: true, force: true })
    const result = await esbuild.build({
      entryPoints: [...entries.values()],
      outdir: app,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      chunkNames: 'chunk-[hash]',
      // Node runs every module it imports; so must the bundle. tfjs' "sideEffects" lists its ESM
      // files only, so esbuild would drop `import '@tensorflow/tfjs-backend-cpu'` (the CommonJS
      // main Node loads), which registers the cpu backend.
      ignoreAnnotations: true,
      minifyWhitespace: true,
      minifySyntax: true,
      legalComments: 'eof',
      banner: { js: BANNER },
      define: DEFINE,
      metafile: true,
      absWorkingDir: root,
      logLevel: 'error',
      plugins: [externalPlugin(root, seen), workspacePlugin(root, found)],
    })
    if (found.entries.size === entries.size) return { result, found }
    // Modules found to need entries of their own: build again with them.
    for (const [k, v] of found.entries) entries.set(k, v)
    log(`esbuild: entries ${[...entries.keys()].join(', ')}`)
  }
  throw new Error('esbuild: the set of entries did not settle in 4 passes')
}

/** Fails on an import the bundle neither holds nor ships; logs the optional ones left out. */
function checkImports(
  metafile: esbuild.Metafile,
  seen: Map<string, string>,
  log: (line: string) => void,
): void {
  const unknown = new Set<string>()
  const optional = new Set<string>()
  for (const o of Object.values(metafile.outputs)) {
    for (const imp of o.imports) {
      if (!imp.external) continue
      const name = packageName(imp.path)
      if (!name || seen.has(name)) continue
      // esbuild leaves an unresolvable require() or import() alone only inside try/catch: optional
      // (node-fetch's 'encoding', vega-canvas' 'canvas'); an unresolvable import fails the build.
      if (imp.kind === 'require-call' || imp.kind === 'dynamic-import') optional.add(imp.path)
      else unknown.add(imp.path)
    }
  }
  if (unknown.size > 0) throw new Error(`esbuild left imports that the bundle does not ship: ${[...unknown]}`)
  if (optional.size > 0) log(`optional imports left out (in try/catch): ${[...optional].join(', ')}`)
}
