import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BUILTIN_BACKENDS, isUserError, listEngines, toJson, type Workload } from '@dualfit/core'
import { terminalWidth, textTable, wrapLine } from '@dualfit/report'
import type { Argv } from 'yargs'
import { load, parseBackendList } from '../backend-choice.js'
import type { Command, Context } from '../options.js'

/** Workloads that show how a backend that picks its engine per workload decides. */
const EXAMPLES: { what: string; work: Workload }[] = [
  {
    what: "the seed's step (Dense(1), batch 1)",
    work: { batchSize: 1, inputs: 1, layers: [{ units: 1, activation: 'linear' }] },
  },
  {
    what: '1-64-64-1 ReLU, batch 32',
    work: {
      batchSize: 32,
      inputs: 1,
      layers: [
        { units: 64, activation: 'relu' },
        { units: 64, activation: 'relu' },
        { units: 1, activation: 'linear' },
      ],
    },
  },
]

const names = (dir: string) => {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

/** A package that runs the backend conformance suite: how @dualfit's backends differ from its other packages. */
function runsConformance(dir: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    return Boolean({ ...pkg.dependencies, ...pkg.devDependencies }['@dualfit/backend-testkit'])
  } catch {
    return false
  }
}

/**
 * The backends installed where the registry looks (the CLI's own location, then the current
 * directory, and their parents' node_modules): the built-in ones, every `dualfit-backend-<name>`
 * and every `@dualfit/<name>` that runs the conformance suite, by short name, built-ins first.
 */
function installedBackends(): string[] {
  const found = new Set(BUILTIN_BACKENDS)
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    for (let dir = start; ; dir = dirname(dir)) {
      const modules = join(dir, 'node_modules')
      for (const n of names(join(modules, '@dualfit')))
        if (runsConformance(join(modules, '@dualfit', n))) found.add(n)
      for (const n of names(modules)) if (n.startsWith('dualfit-backend-')) found.add(n.slice(16))
      if (dirname(dir) === dir) break
    }
  }
  return [...found]
}

interface Listed {
  id: string
  version: string | null
  engines: Awaited<ReturnType<typeof listEngines>>
  saves: readonly string[]
  choices: { workload: string; engine: string; why: string }[]
  /** Why a backend found installed did not load (e.g. not built). */
  problem?: string
}

async function describeBackend(name: string, found: boolean): Promise<Listed> {
  let backend: Awaited<ReturnType<typeof load>>
  try {
    backend = await load(name)
  } catch (e) {
    // One named on the command line fails the command; one found installed is listed with why not.
    if (!found || !isUserError(e)) throw e
    return { id: name, version: null, engines: [], saves: [], choices: [], problem: e.problems.join('; ') }
  }
  try {
    return {
      id: backend.id,
      version: backend.version,
      engines: await listEngines(backend),
      saves: backend.saveFormats ?? [],
      // Named engines and --device still win; this is the choice when neither is given.
      choices: EXAMPLES.flatMap((x) => {
        const c = backend.chooseEngine?.(x.work)
        return c ? [{ workload: x.what, ...c }] : []
      }),
    }
  } finally {
    await backend.dispose()
  }
}

export async function listBackends(a: { backends?: string[]; format: 'table' | 'json' }): Promise<string> {
  const named = a.backends ? parseBackendList(a.backends).map((c) => c.name) : null
  const rows: Listed[] = []
  for (const name of named ?? installedBackends()) rows.push(await describeBackend(name, !named))
  if (a.format === 'json') return toJson(rows)
  const width = terminalWidth()
  const body = rows.flatMap((b) =>
    b.problem
      ? [[b.id, '—', '—', 'no', b.problem]]
      : b.engines.map((e) => [
          b.id,
          e.id + (e.default ? ' (default)' : ''),
          e.device,
          e.available ? 'yes' : 'no',
          e.detail,
        ]),
  )
  const versions = rows.flatMap((b) => (b.version ? [b.version] : []))
  const choices = rows.flatMap((b) =>
    b.choices.map((c) =>
      wrapLine(`${b.id} picks its engine per workload: ${c.workload} -> ${c.engine} (${c.why})`, width, 2),
    ),
  )
  const table = textTable(['backend', 'engine', 'device', 'available', 'detail'], body, width)
  return `${[table, wrapLine(`packages: ${versions.join(', ')}`, width, 2), ...choices].join('\n')}\n`
}

export const backendsCommand: Command = {
  name: 'backends',
  register: (y: Argv, ctx: Context) =>
    y.command(
      'backends',
      'List backends with their engines, whether each is available here, and why not',
      (o) =>
        o
          .option('backends', {
            type: 'string',
            array: true,
            describe: 'backend names or packages (default: every one installed, pytorch included)',
          })
          .option('format', { choices: ['table', 'json'] as const, default: 'table' as const })
          .example(
            '$0 backends --backends keras-style,torch-style,pytorch',
            'the two styles and real PyTorch',
          ),
      (a) => ctx.print(listBackends({ ...(a.backends ? { backends: a.backends } : {}), format: a.format })),
    ),
}
