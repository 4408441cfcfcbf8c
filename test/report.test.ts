/// <reference lib="dom" />
// The page functions below run in the browser.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium, type Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { dualfit, fixture, tempDir } from './cli.js'

/** Debian's Chromium; the browser tests are skipped, with this reason, without it. */
const CHROMIUM = '/usr/bin/chromium'
const noBrowser = existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing: apt-get install chromium`
/** Screenshots a person can look at after a run (ignored by git). */
const ARTIFACTS = join(import.meta.dirname, 'artifacts')
const EVIL = '<script>alert(1)</script>'
const EXACT_100 = 328.084

/** The seed's PyTorch protocol, trained long enough (full batch Adam) to land on 3.28084 ft/m. */
const SPEC = {
  name: 'feet-quick',
  description: "meters -> feet, full-batch Adam: the seed's PyTorch protocol, long enough to land on 3.28084",
  dataset: { builtin: 'meters-feet' },
  model: { layers: [{ units: 1, activation: 'linear' }] },
  loss: 'mse',
  optimizer: { name: 'adam', lr: 0.1 },
  epochs: 400,
  batchSize: 'full',
  shuffle: false,
  init: 'torch',
  seeds: [0],
  grid: { 'optimizer.lr': [0.1, 0.3] },
  selection: { score: 'train_loss' },
  refit: true,
  earlyStopping: { monitor: 'loss', patience: 10 },
  report: { predict: [100, 200] },
}

interface Opened {
  page: Page
  /** Console errors, page errors and failed requests. */
  errors: string[]
  /** Messages of alert/confirm/prompt dialogs that fired (each dismissed). */
  dialogs: string[]
  close: () => Promise<void>
}

/** Headless Chromium on a fresh profile, with the flags that keep it off the network. */
async function open(url: string, width = 1400): Promise<Opened> {
  const context = await chromium.launchPersistentContext(tempDir(), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  const page = await context.newPage()
  const errors: string[] = []
  const dialogs: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`)
  })
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`))
  page.on('requestfailed', (r) => errors.push(`request: ${r.url()} ${r.failure()?.errorText}`))
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`response: ${r.status()} ${r.url()}`)
  })
  page.on('dialog', (d) => {
    dialogs.push(d.message())
    void d.dismiss()
  })
  await page.goto(url, { waitUntil: 'load' })
  return { page, errors, dialogs, close: () => context.close() }
}

/**
 * What a reader would have to scroll sideways to see: the page itself, and any table box or chart
 * wider than its room (a box that scrolls hides its columns just the same).
 */
function sideways(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const root = document.scrollingElement as Element
    const boxes = [...document.querySelectorAll('main .table-wrap, main figure, main form')]
    return [root, ...boxes]
      .filter((e) => e.scrollWidth > e.clientWidth)
      .map((e) => `${e.tagName.toLowerCase()}.${e.className}: ${e.scrollWidth} > ${e.clientWidth}`)
  })
}

/** Types `x` into a spec's try-it box and returns each backend's prediction once all have one. */
async function tryIt(page: Page, spec: string, x: string): Promise<Record<string, number>> {
  const form = page.locator(`form.tryit[data-spec="${spec}"]`)
  await form.locator('input[data-index="0"]').fill(x)
  await page.waitForFunction(
    ([id, value]) => {
      const f = document.querySelector(`form.tryit[data-spec="${id}"]`)
      const input = f?.querySelector('input') as HTMLInputElement | null
      const status = f?.querySelector('.status')?.textContent ?? ''
      const cells = [...(f?.querySelectorAll('td.pred') ?? [])]
      return (
        input?.value === value &&
        /ran \d+ model/.test(status) &&
        cells.every((c) => /\d/.test(c.textContent ?? ''))
      )
    },
    [spec, x] as const,
    { timeout: 60_000 },
  )
  const out: Record<string, number> = {}
  for (const cell of await form.locator('td.pred').all())
    out[(await cell.getAttribute('data-backend')) as string] = Number(await cell.textContent())
  return out
}

/** A static file server on the loopback address, for the report served over http. */
function serve(root: string): Promise<Server> {
  const types: Record<string, string> = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
  }
  const server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)))
    if (!path.startsWith(root + sep) || !existsSync(path)) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' })
    res.end(readFileSync(path))
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

function storedPredictions(out: string): Record<string, number> {
  const doc = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))
  const by: Record<string, number> = {}
  for (const r of doc.results) {
    const refit = r.trials.find((t: { stage: string }) => t.stage === 'refit')
    by[r.backend.id] = refit.predictions[0].y[0]
  }
  return by
}

describe('dualfit compare --out and dualfit report', () => {
  let dir: string
  let out: string
  beforeAll(() => {
    dir = tempDir()
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(SPEC))
    const r = dualfit(['compare', '--spec', 'spec.json', '--out', 'out', '--quiet'], dir)
    expect(r.code, r.stderr).toBe(0)
    out = join(dir, 'out')
  }, 170_000)

  it('writes the charts, the models and report.html next to the results', () => {
    expect(readdirSync(join(out, 'charts')).sort()).toEqual([
      'feet-quick-grid.png',
      'feet-quick-grid.svg',
      'feet-quick-loss.png',
      'feet-quick-loss.svg',
      'feet-quick-predictions.png',
      'feet-quick-predictions.svg',
      'feet-quick-quality.png',
      'feet-quick-quality.svg',
    ])
    expect(readdirSync(join(out, 'models')).sort()).toEqual([
      'feet-quick-keras-style.onnx',
      'feet-quick-keras-style.onnx.js',
      'feet-quick-torch-style.onnx',
      'feet-quick-torch-style.onnx.js',
    ])
    for (const f of ['results.json', 'results.md', 'results.csv', 'report.html', 'ort/ort.wasm.min.js'])
      expect(existsSync(join(out, f))).toBe(true)
    const png = readFileSync(join(out, 'charts/feet-quick-loss.png'))
    expect(png.subarray(1, 4).toString()).toBe('PNG')
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1440, 720])
  })

  it('draws the same report again from the saved results', () => {
    const r = dualfit(['report', join(out, 'results.json'), '--out', 'again'], dir)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(
      /^wrote again\/report\.html: 4 chart\(s\) as SVG and PNG in charts\/, 2 ONNX model/,
    )
    const again = join(dir, 'again')
    expect(readFileSync(join(again, 'report.html'), 'utf8')).toBe(
      readFileSync(join(out, 'report.html'), 'utf8'),
    )
    for (const f of ['charts/feet-quick-loss.svg', 'models/feet-quick-torch-style.onnx'])
      expect(readFileSync(join(again, f))).toEqual(readFileSync(join(out, f)))
  })

  it('refuses a missing file, a file that is not results and an unknown version: one line, exit 2, nothing written', () => {
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ hello: 1 }))
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))
    writeFileSync(join(dir, 'v9.json'), JSON.stringify({ ...results, schemaVersion: 9 }))
    const cases: [string, RegExp][] = [
      ['missing.json', /^dualfit: results file 'missing\.json': cannot read \(no such file\)\n$/],
      ['other.json', /^dualfit: results file 'other\.json': not a dualfit results file/],
      [
        'v9.json',
        /^dualfit: results file 'v9\.json': schemaVersion: 9 is not supported \(this dualfit reads version 2\)\n$/,
      ],
    ]
    for (const [file, message] of cases) {
      const r = dualfit(['report', file, '--out', 'nothing'], dir)
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(message)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(existsSync(join(dir, 'nothing'))).toBe(false)
    }
  })

  describe.skipIf(noBrowser !== null)(
    `report.html in headless Chromium${noBrowser ? ` (${noBrowser})` : ''}`,
    () => {
      it('opens from disk with no errors: the tables, the charts, and both models answer 100 m with 328.08 ft', async () => {
        const b = await open(pathToFileURL(join(out, 'report.html')).href)
        try {
          const { page } = b
          for (const id of ['keras-style', 'torch-style'])
            await expect(page.locator(`tr.backend[data-backend="${id}"]`).count()).resolves.toBe(1)
          await expect(page.locator('figure.chart svg').count()).resolves.toBe(4)
          await tryIt(page, 'feet-quick', '5')
          const predicted = await tryIt(page, 'feet-quick', '100')
          const stored = storedPredictions(out)
          expect(Object.keys(predicted).sort()).toEqual(['keras-style', 'torch-style'])
          for (const [backend, y] of Object.entries(predicted)) {
            // The page's float32 ONNX model agrees with the prediction in results.json...
            expect(Math.abs(y - (stored[backend] as number))).toBeLessThan(1e-3)
            // ...and this spec trains well: 328.08 ft.
            expect(Math.abs(y - EXACT_100)).toBeLessThan(0.01)
          }
          await expect(page.locator('td.exact-value').textContent()).resolves.toBe('328.084')
          mkdirSync(ARTIFACTS, { recursive: true })
          await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true })
          expect(b.errors).toEqual([])
          expect(b.dialogs).toEqual([])
        } finally {
          await b.close()
        }
      })

      it('fits 1280 and 800 px without scrolling sideways, and shows both predictions in the table and the chart', async () => {
        for (const width of [1280, 800]) {
          const b = await open(pathToFileURL(join(out, 'report.html')).href, width)
          try {
            const { page } = b
            await expect(sideways(page)).resolves.toEqual([])
            // The table in view (wide or tall, whichever fits) has every prediction and the last columns.
            const visible = await page.locator('.summary table:visible').textContent()
            for (const label of ['pred @ 100 m', 'pred @ 200 m', '|error| @ 200 m', 'parity', 'µs/step'])
              expect(visible).toContain(label)
            await expect(page.locator('figure.chart[data-kind="predictions"] svg').count()).resolves.toBe(1)
            // Both report inputs are marked on the model-vs-data chart.
            const marks = page.locator(
              'figure.chart[data-kind="predictions"] path[aria-roledescription="point"]',
            )
            const labels = await marks.evaluateAll((ps) => ps.map((p) => p.getAttribute('aria-label') ?? ''))
            for (const x of ['100', '200']) expect(labels.some((l) => l.includes(`: ${x};`))).toBe(true)
            mkdirSync(ARTIFACTS, { recursive: true })
            await page.screenshot({ path: join(ARTIFACTS, `report-${width}.png`), fullPage: true })
            expect(b.errors).toEqual([])
          } finally {
            await b.close()
          }
        }
      })

      it('shows both outputs of a two-output spec: test MSE and a predictions chart each', async () => {
        const r = dualfit(
          [
            'compare',
            '--data',
            fixture('cars-80.csv'),
            '--x',
            'Horsepower',
            '--y',
            'Miles_per_Gallon,Weight_in_lbs',
            '--drop-missing',
            '--set',
            'epochs=20',
            '--set',
            'report.predict=[100]',
            '--out',
            'cars',
            '--quiet',
          ],
          dir,
        )
        expect(r.code, r.stderr).toBe(0)
        const b = await open(pathToFileURL(join(dir, 'cars', 'report.html')).href, 1280)
        try {
          const { page } = b
          await expect(sideways(page)).resolves.toEqual([])
          const visible = await page.locator('.summary table:visible').textContent()
          for (const label of [
            'test MSE Miles_per_Gallon',
            'test MSE Weight_in_lbs',
            'pred Miles_per_Gallon @ 100',
            'pred Weight_in_lbs @ 100',
          ])
            expect(visible).toContain(label)
          const captions = await page
            .locator('figure.chart[data-kind="predictions"] figcaption')
            .allInnerTexts()
          expect(captions.map((c) => c.split(' · ')[0])).toEqual([
            'cars-80.csv: model vs data, Miles_per_Gallon',
            'cars-80.csv: model vs data, Weight_in_lbs',
          ])
          await expect(page.locator('figure.chart[data-kind="predictions"] svg').count()).resolves.toBe(2)
          mkdirSync(ARTIFACTS, { recursive: true })
          await page.screenshot({ path: join(ARTIFACTS, 'report-two-outputs.png'), fullPage: true })
          expect(b.errors).toEqual([])
        } finally {
          await b.close()
        }
      })

      it('works served over http too', async () => {
        const server = await serve(out)
        const { port } = server.address() as AddressInfo
        const b = await open(`http://127.0.0.1:${port}/report.html`)
        try {
          const predicted = await tryIt(b.page, 'feet-quick', '100')
          for (const y of Object.values(predicted)) expect(Math.abs(y - EXACT_100)).toBeLessThan(0.01)
          expect(b.errors).toEqual([])
        } finally {
          await b.close()
          await new Promise((resolve) => server.close(resolve))
        }
      })

      it('shows a column named <script>alert(1)</script> as text, and no dialog fires', async () => {
        const csv = [
          `"${EVIL}",y`,
          ...Array.from({ length: 30 }, (_, i) => `${i / 3},${(2 * i) / 3 + 1}`),
        ].join('\n')
        writeFileSync(join(dir, 'evil.csv'), `${csv}\n`)
        const r = dualfit(
          [
            'compare',
            '--data',
            'evil.csv',
            '--x',
            EVIL,
            '--y',
            'y',
            '--set',
            'epochs=20',
            '--out',
            'evil',
            '--quiet',
          ],
          dir,
        )
        expect(r.code, r.stderr).toBe(0)
        const b = await open(pathToFileURL(join(dir, 'evil', 'report.html')).href)
        try {
          const { page } = b
          await tryIt(page, 'evil.csv', '3')
          // The name is on the page as text: the try-it label, the data block and the chart axes.
          await expect(page.getByText(EVIL, { exact: true }).count()).resolves.toBeGreaterThan(1)
          await expect(page.locator('svg text', { hasText: EVIL }).count()).resolves.toBeGreaterThan(0)
          await page.locator('figure.chart').first().hover()
          // Only the page's own scripts exist.
          const scripts = await page.evaluate(() =>
            [...document.scripts].map((s) => s.getAttribute('src') ?? s.type ?? 'inline'),
          )
          for (const s of scripts) expect(s).toMatch(/^(ort\/|models\/|application\/json$|$)/)
          mkdirSync(ARTIFACTS, { recursive: true })
          await page.screenshot({ path: join(ARTIFACTS, 'report-script-column.png'), fullPage: true })
          expect(b.dialogs).toEqual([])
          expect(b.errors).toEqual([])
        } finally {
          await b.close()
        }
      })
    },
  )
})
