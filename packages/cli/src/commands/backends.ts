import { listEngines, type Workload } from '@dualfit/core'
import { textTable } from '@dualfit/report'
import type { Argv } from 'yargs'
import { load, parseBackendList } from '../backends.js'
import { toJson } from '../io.js'
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

export async function listBackends(a: { backends?: string[]; format: 'table' | 'json' }): Promise<string> {
  const rows = []
  for (const { name } of parseBackendList(a.backends)) {
    const backend = await load(name)
    try {
      rows.push({
        id: backend.id,
        version: backend.version,
        engines: await listEngines(backend),
        saves: backend.saveFormats ?? [],
        // Named engines and --device still win; this is the choice when neither is given.
        choices: EXAMPLES.flatMap((x) => {
          const c = backend.chooseEngine?.(x.work)
          return c ? [{ workload: x.what, ...c }] : []
        }),
      })
    } finally {
      await backend.dispose()
    }
  }
  if (a.format === 'json') return toJson(rows)
  const body = rows.flatMap((b) =>
    b.engines.map((e) => [
      b.version,
      e.id + (e.default ? ' (default)' : ''),
      e.device,
      e.available ? 'yes' : 'no',
      e.detail,
    ]),
  )
  const choices = rows.flatMap((b) =>
    b.choices.map((c) => `${b.id} picks its engine per workload: ${c.workload} -> ${c.engine} (${c.why})`),
  )
  return `${[textTable(['backend', 'engine', 'device', 'available', 'detail'], body), ...choices].join('\n')}\n`
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
            describe: 'backend names or packages (default: the built-in two)',
          })
          .option('format', { choices: ['table', 'json'] as const, default: 'table' as const })
          .example(
            '$0 backends --backends keras-style,torch-style,pytorch',
            'the two styles and real PyTorch',
          ),
      (a) => ctx.print(listBackends({ ...(a.backends ? { backends: a.backends } : {}), format: a.format })),
    ),
}
