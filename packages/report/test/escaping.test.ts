/** User strings in tables: no control character reaches a terminal, Markdown keeps its shape, CSV cells run no formula. */
import type { ExperimentResult, TrialResult } from '@dualfit/core'
import { parseSpec } from '@dualfit/core'
import { describe, expect, it } from 'vitest'
import {
  footer,
  markdownCell,
  markdownLine,
  plain,
  renderCsv,
  renderMarkdown,
  renderTable,
  type Summary,
  summarize,
  textTable,
} from '../src/index.js'

// biome-ignore lint/suspicious/noControlCharactersInRegex: what must never be printed
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/

const HOSTILE_NAME = 'evil\u001b[31mRED\u001b[0m\nline2\ttab\u0007\u202e'

function summary(o: {
  spec?: string
  backend?: string
  engine?: string
  data?: string
  grid?: unknown
  w?: number
}): Summary {
  // A results file edited by hand may hold what the spec parser refuses: the tables must still be safe.
  const parsed = parseSpec({
    name: 'mini',
    dataset: { builtin: 'meters-feet' },
    model: { layers: [{ units: 1 }] },
    optimizer: { lr: 0.1 },
    epochs: 3,
    report: { predict: [-100] },
  })
  const spec = { ...parsed, name: o.spec ?? 'mini' }
  const trial: TrialResult = {
    id: 'refit/p0/s0',
    stage: 'refit',
    point: 0,
    params: {},
    fold: null,
    seed: 0,
    epochs: 3,
    epochsRun: 3,
    stoppedEpoch: null,
    bestEpoch: null,
    diverged: false,
    steps: 21,
    history: { loss: [3, 2, 1] },
    finalLoss: 1,
    testMse: null,
    weights: [{ inputs: 1, units: 1, kernel: [o.w ?? -0.5], bias: [0.5] }],
    predictions: [{ x: [-100], y: [-49.5] }],
    timings: { setupMs: 1, trainMs: 2, totalMs: 3, usPerStep: 95 },
  }
  const r: ExperimentResult = {
    schemaVersion: 2,
    kind: 'dualfit.experiment',
    spec,
    specHash: 'abcdef0123456789',
    data: {
      name: o.data ?? 'meters-feet',
      description: '',
      columns: { x: ['x'], y: ['y'] },
      units: { x: [''], y: [''] },
      rows: 7,
      dropped: 0,
      testRows: 0,
      sha256: '0'.repeat(64),
    },
    backend: {
      id: o.backend ?? 'keras-style',
      version: '1',
      engine: { id: o.engine ?? 'cpu', device: 'cpu', available: true, detail: '' },
    },
    environment: { node: 'v20', platform: 'linux', arch: 'x64', cpu: 'x', cpus: 2, workers: 1, packages: {} },
    grid: { keys: ['activation'], points: [{ activation: o.grid ?? 'linear' }] },
    selection: { score: 'train_loss', rule: 'best', selected: 0, scores: [] },
    trials: [trial],
    totals: { trials: 1, steps: 21, trainMs: 2, wallMs: 3 },
  }
  return summarize(r)
}

const hostile = [
  summary({
    spec: HOSTILE_NAME,
    backend: 'b|ack`end\r\n',
    engine: '\u009b31mcpu',
    data: '\u001b]0;new title\u0007data.csv',
    grid: 'a|b\n# heading',
  }),
  summary({ spec: HOSTILE_NAME, backend: 'torch-style' }),
]

describe('plain: user text for a terminal', () => {
  it('removes escape sequences and control characters, turns line breaks and tabs into a space', () => {
    expect(plain(HOSTILE_NAME)).toBe('evilRED line2 tab')
    expect(plain('\u001b]0;title\u0007x')).toBe('x')
    expect(plain('a\r\nb\u2028c\u0085d')).toBe('a b c d')
    expect(plain('ok: µs, Δ, −, ±, ✗')).toBe('ok: µs, Δ, −, ±, ✗')
  })
})

describe('terminal tables and footers', () => {
  it('print no control character from spec names, backends, engines, data names or grid values', () => {
    for (const width of [400, 80]) {
      const text = renderTable(hostile, { width })
      expect(text).not.toMatch(CONTROL)
      expect(text).not.toContain('[31m')
      expect(text).toContain('evilRED line2 tab')
    }
    const f = footer(hostile)
    expect(f).not.toMatch(CONTROL)
    expect(f).toContain('data.csv: 7 rows')
    expect(f).not.toContain('new title')
  })

  it('keep one line per row whatever the cells hold', () => {
    const t = textTable(
      ['a\nb', 'c'],
      [
        ['x\ny', '\u001b[2J'],
        ['1', '2'],
      ],
    )
    expect(t).toBe(
      textTable(
        ['a b', 'c'],
        [
          ['x y', ''],
          ['1', '2'],
        ],
      ),
    )
    expect(t).not.toMatch(CONTROL)
  })
})

describe('Markdown', () => {
  it('escapes pipes, backticks, brackets and leading block markers; no line breaks or controls in a cell', () => {
    expect(markdownCell('a|b`c`<script>[x](y)')).toBe('a\\|b\\`c\\`\\<script\\>\\[x\\](y)')
    expect(markdownCell('x\ny')).toBe('x y')
    expect(markdownCell('+0.25')).toBe('+0.25')
    expect(markdownLine('# title')).toBe('\\# title')
    expect(markdownLine('- item')).toBe('\\- item')
    expect(markdownLine('1. item')).toBe('1\\. item')
    const md = renderMarkdown(hostile)
    expect(md).not.toMatch(CONTROL)
    const lines = md.split('\n')
    expect(lines[0]).toBe('## evilRED line2 tab')
    // Heading, blank, header row, separator, two rows, one difference row, blank, footer, blank.
    const table = lines.filter((l) => l.startsWith('|'))
    expect(table).toHaveLength(5)
    const columns = (l: string) => l.replaceAll('\\|', '').split('|').length
    for (const l of table) expect(columns(l)).toBe(columns(table[0] as string))
    expect(md).toContain('b\\|ack\\`end')
    expect(md).toContain('activation a\\|b # heading')
  })
})

/** A minimal RFC 4180 reader: rows of cells, quotes undone. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(cell)
      cell = ''
    } else if (c === '\n') {
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
    } else cell += c
  }
  return rows
}

describe('CSV', () => {
  it('neutralises text cells a spreadsheet would run, quotes them, and leaves numbers as numbers', () => {
    const rows = [
      summary({ spec: '=HYPERLINK("http://x","y")', backend: '+cmd', engine: '@SUM(A1)', grid: '-2+3' }),
      summary({
        spec: '\tname',
        backend: '\rback',
        engine: '-',
        data: 'x',
        grid: '\u001b[31m=1+1',
        w: -0.25,
      }),
    ]
    const text = renderCsv(rows)
    const [head, first, second] = parseCsv(text)
    const col = (name: string) => (head as string[]).indexOf(name)
    expect(first?.[col('spec')]).toBe(`'=HYPERLINK("http://x","y")`)
    expect(first?.[col('backend')]).toBe("'+cmd")
    expect(first?.[col('engine')]).toBe("'@SUM(A1)")
    expect(first?.[col('selected')]).toBe('activation -2+3')
    expect(second?.[col('spec')]).toBe("'\tname")
    expect(second?.[col('backend')]).toBe("'\rback")
    expect(second?.[col('engine')]).toBe("'-")
    expect(second?.[col('selected')]).toBe('activation =1+1')
    expect(renderCsv([summary({ spec: '\u001b[31m=cmd\u0007' })]).split('\n')[1]).toMatch(/^"'=cmd",/)
    // Numbers stay plain: a negative weight, prediction and input are not text.
    expect(first?.[col('weight')]).toBe('-0.5')
    expect(second?.[col('weight')]).toBe('-0.25')
    expect(first?.[col('prediction')]).toBe('-49.5')
    expect(first?.[col('predict_x')]).toBe('-100')
    expect(text).toContain(',-0.5,')
    expect(text.split('\n')[1]).toMatch(/^"'=HYPERLINK\(""http:\/\/x"",""y""\)",/)
  })
})
