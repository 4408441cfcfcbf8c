import { textTable } from '@dualfit/report'
import { load, parseBackendList } from '../backends.js'
import { toJson } from '../io.js'

export async function listBackends(a: { backends?: string[]; format: 'table' | 'json' }): Promise<string> {
  const rows = []
  for (const { name } of parseBackendList(a.backends)) {
    const backend = await load(name)
    try {
      rows.push({ id: backend.id, version: backend.version, engines: await backend.engines() })
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
