import { listEngines } from '@dualfit/core'
import { textTable } from '@dualfit/report'
import type { Argv } from 'yargs'
import { load, parseBackendList } from '../backends.js'
import { toJson } from '../io.js'
import type { Command, Context } from '../options.js'

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
  return `${textTable(['backend', 'engine', 'device', 'available', 'detail'], body)}\n`
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
