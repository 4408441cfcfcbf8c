import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { prepareExperiment, type StudyRun } from '@dualfit/core'
import { afterAll, describe, expect, it } from 'vitest'
import { parsePayload, payloadOf, rebuild } from '../src/payload.js'
import { checkUrl, shownUrl } from '../src/redis.js'

const dir = mkdtempSync(join(tmpdir(), 'dualfit-queue-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const spec = {
  name: 'file',
  dataset: { file: 'rows.csv', x: ['x'], y: ['y'] },
  model: { layers: [{ units: 1, activation: 'linear' }] },
  loss: 'mse',
  optimizer: { name: 'sgd', lr: 0.01 },
  epochs: 2,
  seeds: [0],
  refit: true,
}

async function carried() {
  writeFileSync(join(dir, 'rows.csv'), 'x,y\n1,2\n2,4\n3,6\n')
  const exp = await prepareExperiment(spec, 'file.json', dir)
  const run = { exp, name: 'torch-style', engine: { id: 'cpu' } } as unknown as StudyRun
  return parsePayload(JSON.stringify(payloadOf([run, { ...run, name: 'keras-style' }])), 'run x')
}

describe('what a run carries', () => {
  it('carries each spec once with its data file, and a worker rebuilds the same rows elsewhere', async () => {
    const p = await carried()
    expect(p.specs).toHaveLength(1)
    expect(p.parts.map((x) => [x.spec, x.backend, x.engine])).toEqual([
      [0, 'torch-style', 'cpu'],
      [0, 'keras-style', 'cpu'],
    ])
    rmSync(join(dir, 'rows.csv'))
    const exp = await rebuild(p.specs[0] as (typeof p.specs)[0], join(dir, 'worker'))
    expect(exp.data.sha256).toBe(p.specs[0]?.dataHash)
    expect(Array.from(exp.dataset.y)).toEqual([2, 4, 6])
  })

  it('refuses bytes, a spec or rows that are not the coordinator’s, in one line', async () => {
    const s = (await carried()).specs[0] as NonNullable<Awaited<ReturnType<typeof carried>>['specs'][0]>
    const other = Buffer.from('x,y\n1,2\n2,4\n3,7\n').toString('base64')
    await expect(
      rebuild({ ...s, file: { sha256: s.file?.sha256 ?? '', base64: other } }, dir),
    ).rejects.toThrow("file.json: the data file's sha256 is not the one the coordinator sent")
    await expect(rebuild({ ...s, raw: { ...spec, epochs: 3 } }, dir)).rejects.toThrow(
      "file.json: the spec's sha256 is not the one the coordinator sent",
    )
    await expect(rebuild({ ...s, dataHash: '0'.repeat(64) }, dir)).rejects.toThrow(
      /the rows this worker loaded have sha256 \w{12}\.\.\., the coordinator's 000000000000\.\.\./,
    )
    expect(() => parsePayload('{"version": 9}', 'run x')).toThrow(
      'run x: payload version 9, this dualfit reads version 1',
    )
    expect(() => parsePayload('{"version": 1, "specs": [], "parts": [{"spec": 0}]}', 'run x')).toThrow(
      'run x: expected {"specs": [...], "parts": [...]}',
    )
  })
})

describe('--queue URLs', () => {
  it('takes redis:// and rediss:// with a user, password and database; hides the password', () => {
    for (const u of ['redis://localhost:6379', 'rediss://u:p@h:6380/2', 'redis://:p%40ss@10.0.0.1:6379/'])
      expect(checkUrl(u)).toBe(u)
    expect(shownUrl('rediss://u:p@h:6380/2')).toBe('rediss://u:***@h:6380/2')
    for (const u of ['http://h:1', 'redis://', 'redis://h:1/db', 'h:6379'])
      expect(() => checkUrl(u)).toThrow(
        /expected redis:\/\/\[user:password@\]host:port\[\/db\] or rediss:\/\//,
      )
  })
})
