import { describe, expect, it } from 'vitest'
import { BenchUsageError, parseArgs, parseSuites } from '../src/args.js'
import { SUITE_NAMES } from '../src/types.js'

describe('parseSuites', () => {
  it('defaults to every suite', () => {
    expect(parseSuites(undefined)).toEqual([...SUITE_NAMES])
    expect(parseSuites([])).toEqual([...SUITE_NAMES])
  })
  it('takes comma lists and repeats, in canonical order, without repeats', () => {
    expect(parseSuites(['scaling,step'])).toEqual(['step', 'scaling'])
    expect(parseSuites(['parallel', 'step', 'step,memory'])).toEqual(['step', 'memory', 'parallel'])
    expect(parseSuites([' Startup , ,protocols'])).toEqual(['protocols', 'startup'])
  })
  it('names unknown suites and the known ones', () => {
    expect(() => parseSuites(['step,foo,bar'])).toThrow(BenchUsageError)
    expect(() => parseSuites(['foo'])).toThrow(/unknown suite 'foo'; choose from step, protocols/)
  })
})

describe('parseArgs', () => {
  it('has defaults', async () => {
    expect(await parseArgs([])).toEqual({
      suites: [...SUITE_NAMES],
      quick: false,
      check: false,
      device: 'all',
      format: 'table',
    })
  })
  it('reads every option', async () => {
    const o = await parseArgs([
      '--suite',
      'step,scaling',
      '--suite',
      'memory',
      '--quick',
      '--check',
      '--device',
      'wasm',
      '--format',
      'json',
      '--out',
      'b.json',
    ])
    expect(o).toEqual({
      suites: ['step', 'scaling', 'memory'],
      quick: true,
      check: true,
      device: 'wasm',
      format: 'json',
      out: 'b.json',
    })
  })
  it('rejects unknown options, bad choices and stray arguments in one line', async () => {
    await expect(parseArgs(['--fast'])).rejects.toThrow(BenchUsageError)
    await expect(parseArgs(['--device', 'tpu'])).rejects.toThrow(BenchUsageError)
    await expect(parseArgs(['--suite', 'nope'])).rejects.toThrow(/unknown suite 'nope'/)
    await expect(parseArgs(['step'])).rejects.toThrow(/Unknown argument: step/)
    const e = await parseArgs(['--device', 'tpu']).catch((x: Error) => x)
    expect((e as Error).message).not.toContain('\n')
  })
  it("answers 'help' to --help", async () => {
    expect(await parseArgs(['--help'])).toBe('help')
  })
})
