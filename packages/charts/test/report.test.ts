import { createHash } from 'node:crypto'
import { Script } from 'node:vm'
import { summarizeGroup } from '@dualfit/report'
import { describe, expect, it } from 'vitest'
import { buildReport, escapeHtml, ORT_SCRIPTS, pageScript, pngSize, scriptJson } from '../src/index.js'
import { result, trial } from './fixtures.js'

const EVIL = '<script>alert(1)</script>'

describe('the report folder', () => {
  it('holds the charts, the models, onnxruntime-web and report.html', async () => {
    const r = await buildReport([result('keras-style'), result('torch-style')])
    expect(r.failed).toEqual([])
    expect(r.charts).toBe(3)
    expect(r.models).toBe(2)
    const names = Object.keys(r.files).sort()
    expect(names).toEqual(
      [
        'charts/mini-grid.png',
        'charts/mini-grid.svg',
        'charts/mini-loss.png',
        'charts/mini-loss.svg',
        'charts/mini-predictions.png',
        'charts/mini-predictions.svg',
        'models/mini-keras-style.onnx',
        'models/mini-keras-style.onnx.js',
        'models/mini-torch-style.onnx',
        'models/mini-torch-style.onnx.js',
        ...ORT_SCRIPTS,
        'ort/NOTICE.txt',
        'report.html',
      ].sort(),
    )
    expect(pngSize(r.files['charts/mini-loss.png'] as Uint8Array)).toEqual({ width: 1440, height: 720 })
    const html = r.files['report.html'] as string
    // Both backends' rows, the difference row, the charts inline, the models and ort scripts.
    expect(html).toContain('<tr class="backend" data-backend="keras-style"><td>keras-style (cpu)</td>')
    expect(html).toContain('<tr class="backend" data-backend="torch-style">')
    expect(html).toContain('Δ keras-style − torch-style')
    expect(html.match(/<figure class="chart"/g)).toHaveLength(3)
    expect(html).toContain('id="mini-loss-')
    for (const src of [...ORT_SCRIPTS, 'models/mini-keras-style.onnx.js'])
      expect(html).toContain(`<script src="${src}" defer></script>`)
    // The base64 model is the .onnx file.
    const js = r.files['models/mini-keras-style.onnx.js'] as string
    const b64 = /= "([A-Za-z0-9+/=]+)";/.exec(js)?.[1] as string
    expect(Buffer.from(b64, 'base64')).toEqual(
      Buffer.from(r.files['models/mini-keras-style.onnx'] as Uint8Array),
    )
    // The wasm is there, gzipped: 0x1f 0x8b.
    const wasm = r.files['ort/ort-wasm-simd-threaded.wasm.gz.js'] as string
    const gz = Buffer.from(/= "([A-Za-z0-9+/=]+)";/.exec(wasm)?.[1] as string, 'base64')
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b])
  })

  it("allows only the page's own script by its hash", async () => {
    const html = (await buildReport([result('a')])).files['report.html'] as string
    const hash = createHash('sha256').update(pageScript()).digest('base64')
    // In the CSP meta tag, whose quotes are escaped as &#39;.
    expect(html).toContain(`&#39;sha256-${hash}&#39;`)
    expect(html).toContain(`<script>${pageScript()}</script>`)
    // Nothing from the network (SVG namespaces aside, which nothing loads).
    expect(html).not.toMatch(/(src|href|action)="https?:|url\(\s*['"]?https?:|@import/)
  })

  it('escapes what users named, in the HTML and in the page data', async () => {
    const r = result(EVIL, {
      spec: { name: EVIL, description: `${EVIL} & "quotes"` },
      data: { name: EVIL, columns: { x: [EVIL], y: ['<img src=x onerror=alert(2)>'] } },
    })
    const { files } = await buildReport([r])
    const html = files['report.html'] as string
    expect(html).not.toContain('<script>alert')
    expect(html).not.toContain('<img')
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;')
    // Every <script> is one of the page's own.
    const tags = html.match(/<script[^>]*>/g) ?? []
    for (const t of tags)
      expect(t).toMatch(
        /^<script( src="(ort|models)\/[A-Za-z0-9._-]+" defer| type="application\/json" id="dualfit-data")?>$/,
      )
    expect(Object.keys(files).every((f) => /^[A-Za-z0-9._/-]+$/.test(f))).toBe(true)
  })

  it("uses a spec's summaries when given, unless they are another grouping's", async () => {
    const results = [result('a'), result('b')]
    const summaries = summarizeGroup(results).map((s) => ({ ...s, engine: 'given' }))
    const given = (await buildReport(results, { summaries: new Map([['hash-mini', summaries]]) })).files
    expect(given['report.html']).toContain('<td>a (given)</td>')
    const partial = new Map([['hash-mini', summaries.slice(0, 1)]])
    expect((await buildReport(results, { summaries: partial })).files['report.html']).toContain(
      '<td>a (cpu)</td>',
    )
  })

  it('says when no backend has a usable model', async () => {
    const bad = trial('refit', { diverged: true })
    const { files, models } = await buildReport([result('a', { trials: [bad] })])
    expect(models).toBe(0)
    expect(Object.keys(files).some((f) => f.startsWith('ort/'))).toBe(false)
    expect(files['report.html']).toContain('No backend has a usable final model')
  })
})

describe('html helpers', () => {
  it('escapes text and JSON for the page', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;')
    expect(scriptJson({ a: '</script><!--' })).toBe('{"a":"\\u003c/script\\u003e\\u003c!--"}')
    expect(JSON.parse(scriptJson({ a: '</script>' }))).toEqual({ a: '</script>' })
  })

  it('inlines the page script as one classic script that loads nothing', () => {
    const text = pageScript()
    expect(() => new Script(text)).not.toThrow()
    expect(text).not.toMatch(/\bimport\s*[({'"]|\brequire\(|<\/script/i)
    // core's exact functions are bundled in: the formula the try-it box labels comes with them.
    expect(text).toContain('y = 3.28084 x')
  })
})
