/** 10-11. Files and teardown. */
import type { TrainedModel } from '@dualfit/core'
import { fail, messageOf } from '../assertions.js'
import { DATA, TANH_NET, weightsFor } from '../fixtures.js'
import type { Check } from './check.js'

export const saves: Check = async (backend) => {
  const formats = backend.saveFormats ?? []
  if (formats.length === 0) return
  if (typeof backend.save !== 'function')
    fail(`saveFormats lists ${formats.join(', ')}, but the backend has no save()`)
  const model: TrainedModel = { inputs: DATA.inputs, layers: TANH_NET, weights: weightsFor(TANH_NET) }
  for (const format of formats) {
    const what = `save(model, '${format}')`
    let files: Record<string, Uint8Array>
    try {
      files = await backend.save(model, format)
    } catch (e) {
      fail(`${what} rejected: ${messageOf(e)}`, e)
    }
    const entries = Object.entries(files ?? {})
    for (const [name, bytes] of entries)
      if (!(bytes instanceof Uint8Array)) fail(`${what}: file '${name}' is ${typeof bytes}, not a Uint8Array`)
    if (!entries.some(([, bytes]) => bytes.length > 0))
      fail(
        entries.length === 0
          ? `${what} returned no files`
          : `${what} returned only empty files (${entries.map(([n]) => n).join(', ')})`,
      )
  }
}

export const dispose: Check = async (backend) => {
  try {
    await backend.dispose()
  } catch (e) {
    fail(`dispose() rejected: ${messageOf(e)}`, e)
  }
}
