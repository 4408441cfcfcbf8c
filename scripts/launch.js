/**
 * The workspace's commands (`pnpm dualfit`, `pnpm compare`, `pnpm bench`, `pnpm bundle`): pnpm runs
 * a dependency's bin without lines of its own (a root script would add `$ command` and, on a failing
 * exit code, `ELIFECYCLE`), so the user sees nothing but the command's output.
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/**
 * Builds what changed since the last build (on a fresh clone: everything), so that no command
 * runs stale code. turbo's banner and task lines are kept back unless the build fails.
 */
function buildIfStale() {
  const turbo = join(ROOT, 'node_modules', 'turbo', 'bin', 'turbo')
  const r = spawnSync(process.execPath, [turbo, 'run', 'build', '--output-logs=errors-only'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  if (r.status === 0) return
  process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`)
  const why = r.error?.message ?? "turbo's output is above"
  process.stderr.write(`dualfit: the workspace build failed: ${why}\n`)
  process.exit(1)
}

/**
 * Runs `entry` (a path from the workspace root) in this process, with `args` before the user's
 * arguments; its exit code is this process's. `name` tells the CLI how it was invoked
 * (DUALFIT_SCRIPT_NAME), for its usage lines, examples and messages that name a command.
 */
export async function launch(entry, { args = [], name } = {}) {
  buildIfStale()
  if (name) process.env.DUALFIT_SCRIPT_NAME = name
  const file = join(ROOT, entry)
  process.argv = [process.argv[0], file, ...args, ...process.argv.slice(2)]
  await import(pathToFileURL(file).href)
}
