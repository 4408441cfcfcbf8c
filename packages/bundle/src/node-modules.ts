/**
 * Phase 2, app/node_modules: what is found at run time rather than imported, i.e. backends (core's
 * registry), experiment specs, and the packages that load binaries relative to themselves.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import type * as esbuild from 'esbuild'
import { PLATFORM } from './external.js'
import type { Stub } from './javascript.js'
import { copyPkg, findPkg, pkgDirOf, readPkg, resolveFrom, walk, writeJson } from './pkg.js'

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

/** A package per backend whose modules re-export its entries in app/, as core's registry imports them. */
export function writeBackendStubs(
  stubs: Stub[],
  metafile: esbuild.Metafile,
  root: string,
  app: string,
): void {
  const modules = join(app, 'node_modules')
  const exportsOf = (out: string): string[] =>
    Object.entries(metafile.outputs).find(([k]) => resolve(root, k) === join(app, `${out}.js`))?.[1]
      .exports ?? []
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
}

/** The experiment specs, which the CLI resolves as @dualfit/experiments/<name>.json. */
export function copySpecs(cliDir: string, modules: string): void {
  const experimentsDir = pkgDirOf(resolveFrom(cliDir, '@dualfit/experiments/seed-torch.json'))
  const experiments = readPkg(experimentsDir)
  copyPkg(experimentsDir, join(modules, experiments.name), (f) => /^[^/]+\.json$/.test(f))
}

/**
 * Ships the external packages esbuild saw (`seen`) with their dependencies; Dawn only when asked,
 * else a stub `webgpu` package that says why. Returns where each shipped package went (its real
 * source folder by destination).
 */
export function shipPackages(seen: Map<string, string>, modules: string, dawn: boolean): Map<string, string> {
  const placed = new Map<string, string>()
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
    ship(placed, modules, name, dir, modules)
  }
  // Native addons ship with their symbol tables; their dynamic symbols (what loads them) stay.
  const addons = walk(modules).filter((f) => f.endsWith('.node'))
  for (const f of addons) spawnSync('strip', ['--strip-unneeded', join(modules, f)], { stdio: 'ignore' })
  for (const f of KEEP_CHECK) {
    const [name, rel] = f
    if (seen.has(name) && (name !== 'webgpu' || dawn) && !existsSync(join(modules, name, rel)))
      throw new Error(`${name}: ${rel} missing`)
  }
  return placed
}

/** Ships one package, at the top of node_modules unless another copy holds that place. */
function ship(placed: Map<string, string>, modules: string, name: string, src: string, into: string): void {
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
    ship(placed, modules, dep, depReal, free ? modules : join(dest, 'node_modules'))
  }
}

/**
 * tfjs-backend-wasm is bundled, but keras-style points setWasmPaths at
 * dirname(require.resolve('@tensorflow/tfjs-backend-wasm')): ship its package.json, a stub main
 * file there and the .wasm binaries beside it.
 */
export function shipTfjsWasm(metafile: esbuild.Metafile, root: string, modules: string): void {
  const tfWasmInput = Object.keys(metafile.inputs).find((p) =>
    p.includes('node_modules/@tensorflow/tfjs-backend-wasm/'),
  )
  if (!tfWasmInput) return
  const src = pkgDirOf(resolve(root, tfWasmInput))
  const pkg = readPkg(src)
  const dest = join(modules, pkg.name)
  const main = (pkg.json.main as string) ?? 'index.js'
  const tfWasm = copyPkg(src, dest, (f) => f.startsWith(`${dirname(main)}/`) && f.endsWith('.wasm'))
  mkdirSync(dirname(join(dest, main)), { recursive: true })
  writeFileSync(
    join(dest, main),
    "throw new Error('@tensorflow/tfjs-backend-wasm is bundled into dualfit (app/); this file only marks where its .wasm files are')\n",
  )
  if (tfWasm < 2) throw new Error(`${pkg.name}: no .wasm files in ${src}`)
}
