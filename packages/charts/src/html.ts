import { createHash } from 'node:crypto'
import { type ExperimentResult, exactFunction } from '@dualfit/core'
import { footer, parityLines, type Summary, settingsRows, tableRows, turn } from '@dualfit/report'
import { textWidth } from './metrics.js'
import { classNames, outputsLogits, type SpecGroup } from './model.js'
import { DATA_ID, type PageData } from './page/shared.js'
import { pageScript } from './page.js'
import type { ChartKind } from './specs.js'

/** Text for HTML content and attribute values: & < > " ' escaped. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}

/** JSON for a <script type="application/json"> block: no `<` left to close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029')
}

/** A chart as the page shows it: the SVG inline, links to its files. */
export interface PageChart {
  kind: ChartKind
  title: string
  /** The SVG text (its ids already scoped to the page), or null when it could not be drawn. */
  svg: string | null
  error?: string
  /** Relative paths of its files. */
  files: { svg: string; png: string } | null
}

/** A backend's model in the try-it box. */
export interface PageModel {
  key: string
  backend: string
  /** Relative path of the .onnx file, and of the script that carries it in base64. */
  onnx: string
  script: string
  /** Which run it is, e.g. 'refit/p0/s0'. */
  trial: string
}

export interface PageSpec {
  /** Unique, file-name-safe id of the spec (its slug). */
  id: string
  group: SpecGroup
  summaries: Summary[]
  charts: PageChart[]
  models: PageModel[]
}

export interface PageInput {
  specs: PageSpec[]
  /** Scripts of ort/, in load order. */
  ortScripts: string[]
  ortVersion: string | null
  /** Why the models cannot run in the page (onnxruntime-web missing), if so. */
  ortError?: string | null
}

const esc = escapeHtml

/** Widths at which a wide summary table may show; a table wider than the last is shown tall only. */
const WIDE_STEPS = Array.from({ length: 20 }, (_, i) => 500 + 100 * i)

/** One rule per width step: below it, a wide table that needs that much gives way to its tall twin. */
const SUMMARY_STYLE = WIDE_STEPS.map(
  (w) =>
    `@container summary (max-width: ${w - 0.02}px) { .summary.w${w} .wide { display: none; } .summary.w${w} .tall { display: block; } }`,
).join('\n')

const STYLE = `
:root { color-scheme: light; --fg: #1d1d1f; --muted: #5b5b60; --line: #dcdce0; --bg2: #f6f6f8; --accent: #2f5f8f; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Roboto, sans-serif; color: var(--fg); background: #fff; }
main { max-width: 1500px; margin: 0 auto; padding: 24px 28px 60px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 40px 0 4px; padding-top: 16px; border-top: 2px solid var(--line); overflow-wrap: anywhere; }
h3 { font-size: 16px; margin: 26px 0 8px; }
p { margin: 6px 0; }
.muted, .footer { color: var(--muted); font-size: 13px; overflow-wrap: anywhere; }
nav a { margin-right: 14px; }
a { color: var(--accent); }
.table-wrap { overflow-x: auto; margin: 12px 0 4px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 5px 8px; text-align: right; overflow-wrap: break-word; vertical-align: top; }
table.text td { overflow-wrap: anywhere; }
.wide td { white-space: nowrap; }
.summary { container: summary / inline-size; }
.summary .tall { display: none; }
.summary .tall.only { display: block; }
table.tall td:first-child { font-weight: 600; }
th { background: var(--bg2); font-weight: 600; vertical-align: bottom; }
td:first-child, th:first-child { text-align: left; }
table.text td, table.text th, form.tryit td:last-child, form.tryit th:last-child { text-align: left; }
tr.diff td { color: var(--muted); font-style: italic; background: #fbfbfc; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 560px), 1fr)); gap: 18px; margin-top: 12px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; background: #fff; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { font-size: 12px; color: var(--muted); margin-top: 4px; }
figure.failed { padding: 16px; color: #8a1f11; background: #fff6f4; }
form.tryit { border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; background: var(--bg2); max-width: 900px; }
form.tryit label { display: inline-block; margin: 4px 16px 8px 0; font-weight: 600; overflow-wrap: anywhere; }
form.tryit input { font: inherit; width: 12em; margin-left: 6px; padding: 4px 6px; border: 1px solid #aaa; border-radius: 4px; }
form.tryit table { background: #fff; }
form.tryit td.pred, form.tryit td.exact-value { font-variant-numeric: tabular-nums; font-weight: 600; }
form.tryit td.prob { font-variant-numeric: tabular-nums; }
.status { font-size: 13px; color: var(--muted); min-height: 1.5em; }
pre { background: var(--bg2); border: 1px solid var(--line); border-radius: 6px; padding: 10px; overflow-x: auto; font-size: 12px; }
details { margin: 10px 0; }
summary { cursor: pointer; }
dl.data { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; font-size: 13px; margin: 8px 0; }
dl.data dt { color: var(--muted); }
dl.data dd { margin: 0; overflow-wrap: anywhere; }
${SUMMARY_STYLE}
`

function table(
  head: string[],
  body: string[][],
  rowAttrs: (i: number) => string = () => '',
  className = '',
): string {
  return `<div class="table-wrap"><table${className ? ` class="${className}"` : ''}>
<thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>
<tbody>
${body.map((row, i) => `<tr${rowAttrs(i)}>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n')}
</tbody></table></div>`
}

/**
 * The width the wide table needs at least, in CSS pixels: each column as wide as its longest cell
 * (cells do not wrap) or its header's longest word (headers do), plus padding and border; DejaVu
 * Sans widths, with a margin for a page font that runs wider.
 */
function wideWidth(head: string[], body: string[][]): number {
  const cell = (text: string, bold: boolean) => textWidth(text, 13, bold) + 17
  const columns = head.map((h, i) =>
    Math.max(...h.split(' ').map((w) => cell(w, true)), ...body.map((row) => cell(row[i] ?? '', false))),
  )
  return columns.reduce((a, b) => a + b, 1) * 1.06
}

/**
 * The summary table of a spec: the same head and cells as the terminal and Markdown tables, one
 * row per backend where the page has room for that, else (as the terminal's tall layout) one row
 * per measure, so that no column is ever scrolled out of sight.
 */
function summaryTable(summaries: Summary[]): string {
  const { head, body } = tableRows(summaries)
  const tall = turn({ head, body })
  const tallTable = (only: boolean) =>
    `<div class="tall${only ? ' only' : ''}">${table(tall.head, tall.body, undefined, 'tall')}</div>`
  const step = WIDE_STEPS.find((w) => w >= wideWidth(head, body))
  if (step === undefined) return `<div class="summary">${tallTable(true)}</div>`
  const wide = table(head, body, (i) =>
    i < summaries.length
      ? ` class="backend" data-backend="${esc(summaries[i]?.backend)}"`
      : ' class="diff" data-diff="true"',
  )
  return `<div class="summary w${step}"><div class="wide">${wide}</div>${tallTable(false)}</div>`
}

/** Under init 'framework': each backend's own defaults (initializer, epsilon, order, ...). */
function settingsTable(summaries: Summary[]): string {
  const rows = settingsRows(summaries)
  return rows ? table(rows.head, rows.body) : ''
}

function dataBlock(r: ExperimentResult): string {
  const d = r.data
  const cols = (names: string[], units: string[]) =>
    names.map((n, i) => (units[i] ? `${n} (${units[i]})` : n)).join(', ')
  const rows: [string, string][] = [
    ['dataset', d.name],
    ['description', d.description],
    ['inputs', cols(d.columns.x, d.units.x)],
    ['targets', cols(d.columns.y, d.units.y)],
    [
      'rows',
      `${d.rows}${d.dropped > 0 ? `, ${d.dropped} dropped (missing values)` : ''}${d.testRows > 0 ? `, ${d.testRows} held out for test` : ''}`,
    ],
    ['sha256', d.sha256],
  ]
  if (d.classes)
    rows.splice(4, 0, [
      'classes',
      d.classes.map((c, i) => (d.classCounts ? `${c} (${d.classCounts[i]} rows)` : c)).join(', '),
    ])
  return `<dl class="data">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`
}

function chartFigure(c: PageChart): string {
  if (!c.svg)
    return `<figure class="failed"><strong>${esc(c.title)}</strong>: this chart could not be drawn (${esc(c.error ?? 'no data')})</figure>`
  const links = c.files
    ? ` · <a href="${esc(c.files.png)}">PNG</a> · <a href="${esc(c.files.svg)}">SVG</a>`
    : ''
  return `<figure class="chart" data-kind="${esc(c.kind)}">${c.svg}<figcaption>${esc(c.title)}${links}</figcaption></figure>`
}

/** The spec's built-in dataset when it has an exact function (core's EXACT_FUNCTIONS), with its formula. */
function exactOf(r: ExperimentResult): { name: string; formula: string } | null {
  if (!('builtin' in r.spec.dataset)) return null
  const name = r.spec.dataset.builtin
  const f = exactFunction(name)
  return f ? { name, formula: f.formula } : null
}

function tryIt(s: PageSpec, ortError: string | null): string {
  const r = s.group.results[0] as ExperimentResult
  const inputs = r.data.columns.x.length
  if (s.models.length === 0)
    return `<h3>Try it</h3><p class="muted">No backend has a usable final model (diverged or none), so there is nothing to run.</p>`
  const preset = r.spec.report.predict[0]
  const presetRow = preset === undefined ? [] : Array.isArray(preset) ? preset : [preset]
  const fields = r.data.columns.x
    .map((name, i) => {
      const unit = r.data.units.x[i]
      const value = presetRow.length === inputs ? ` value="${esc(presetRow[i])}"` : ''
      return `<label>${esc(name)}${unit ? ` (${esc(unit)})` : ''}<input type="text" inputmode="decimal" autocomplete="off" spellcheck="false" data-index="${i}" aria-label="${esc(name)}"${value}></label>`
    })
    .join('')
  const exact = exactOf(r)
  const unitY = r.data.units.y.filter(Boolean).join(', ')
  // A classifier: the class each model picks, then each class's probability.
  const classes = classNames(r) ?? []
  const probHead = classes.map((c) => `<th>P(${esc(c)})</th>`).join('')
  const probCells = classes.map((_, k) => `<td class="prob" data-class="${k}"></td>`).join('')
  const rows = s.models
    .map(
      (m) =>
        `<tr data-model="${esc(m.key)}" data-backend="${esc(m.backend)}"><td>${esc(m.backend)}</td><td class="pred" data-backend="${esc(m.backend)}"></td>${probCells}${exact ? '<td class="err"></td>' : '<td class="err" hidden></td>'}<td><a href="${esc(m.onnx)}" download>${esc(m.onnx.split('/').pop())}</a> <span class="muted">${esc(m.trial)}</span></td></tr>`,
    )
    .join('\n')
  const exactRow = exact
    ? `<tr class="exact"><td>exact: ${esc(exact.formula)}</td><td class="exact-value"></td><td></td><td></td></tr>`
    : ''
  const squash = r.spec.model.layers.at(-1)?.units === 1 ? 'sigmoid' : 'softmax'
  const what =
    classes.length > 0
      ? ` It shows the class each picks and each class's probability (${outputsLogits(r) ? `the ${squash} of its logits` : `its ${squash} layer's output`}).`
      : ''
  return `<h3>Try it</h3>
<form class="tryit" data-spec="${esc(s.id)}">
<p class="muted">Type ${inputs > 1 ? `one number per input (${inputs})` : 'a number'}: each backend's exported ONNX model runs in this page with onnxruntime-web (wasm, one thread), offline.${what}</p>
${fields}
<div class="table-wrap"><table>
<thead><tr><th>backend</th><th>${classes.length > 0 ? 'class' : `prediction${unitY ? ` (${esc(unitY)})` : ''}`}</th>${probHead}${exact ? '<th>|error|</th>' : '<th hidden></th>'}<th>model</th></tr></thead>
<tbody>
${rows}
${exactRow}
</tbody></table></div>
<p class="status" role="status" aria-live="polite">${ortError ? esc(`The models cannot run in this page: ${ortError}.`) : 'loading onnxruntime-web…'}</p>
</form>`
}

function specSection(s: PageSpec, ortError: string | null): string {
  const r = s.group.results[0] as ExperimentResult
  return `<section class="spec" id="spec-${esc(s.id)}" data-spec="${esc(s.id)}">
<h2>${esc(s.group.name)}</h2>
${r.spec.description ? `<p>${esc(r.spec.description)}</p>` : ''}
${summaryTable(s.summaries)}
${parityLines(s.summaries)
  .map((l) => `<p class="parity">${esc(l)}</p>`)
  .join('\n')}
${settingsTable(s.summaries)}
<p class="footer">${esc(footer(s.summaries))}</p>
<h3>Charts</h3>
${s.charts.length > 0 ? `<div class="charts">\n${s.charts.map(chartFigure).join('\n')}\n</div>` : '<p class="muted">No chart applies.</p>'}
${tryIt(s, ortError)}
<h3>Data</h3>
${dataBlock(r)}
<details><summary>The spec (validated, defaults filled in; hash ${esc(s.group.specHash)})</summary>
<pre>${esc(JSON.stringify(r.spec, null, 2))}</pre>
</details>
</section>`
}

function environmentSection(results: ExperimentResult[]): string {
  const head = ['spec', 'backend', 'version', 'engine', 'device', 'node', 'platform', 'cpu', 'workers']
  const body = results.map((r) => {
    const e = r.environment
    return [
      r.spec.name,
      r.backend.id,
      r.backend.version,
      r.backend.engine.id,
      String(r.backend.engine.device ?? ''),
      e.node,
      `${e.platform} ${e.arch}`,
      `${e.cpu} × ${e.cpus}`,
      String(e.workers ?? 1),
    ]
  })
  const packages = new Map<string, Set<string>>()
  for (const r of results)
    for (const [name, version] of Object.entries(r.environment.packages ?? {})) {
      if (!packages.has(name)) packages.set(name, new Set())
      packages.get(name)?.add(String(version))
    }
  const pkgRows = [...packages.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, v]) => [name, [...v].join(', ')])
  return `<section id="environment">
<h2>Environment</h2>
${table(head, body, undefined, 'text')}
${pkgRows.length > 0 ? `<h3>Packages</h3>${table(['package', 'version'], pkgRows, undefined, 'text')}` : ''}
</section>`
}

/** sha256 source of an inline script, for the page's Content-Security-Policy. */
function scriptHash(code: string): string {
  return `'sha256-${createHash('sha256').update(code, 'utf8').digest('base64')}'`
}

/**
 * The report page: per spec its table (the same numbers as the terminal tables), its charts
 * inline, a try-it box that runs each backend's ONNX model in the page, its data and its spec;
 * then the environment. Every text that came from users is escaped; the page loads nothing from
 * the network, and its Content-Security-Policy allows only its own files and its one inline script.
 */
export function renderHtml(input: PageInput): string {
  const results = input.specs.flatMap((s) => s.group.results)
  const backends = [...new Set(results.map((r) => r.backend.id))]
  const config: PageData = {
    specs: input.specs.map((s) => {
      const r = s.group.results[0] as ExperimentResult
      return {
        id: s.id,
        inputs: r.data.columns.x.length,
        outputs: r.data.columns.y.length,
        exact: exactOf(r)?.name ?? null,
        classes: classNames(r),
        logits: outputsLogits(r),
        models: s.models.map((m) => ({ key: m.key, backend: m.backend })),
      }
    }),
  }
  const hasModels = !input.ortError && input.specs.some((s) => s.models.length > 0)
  const scripts = hasModels
    ? [...input.ortScripts, ...input.specs.flatMap((s) => s.models.map((m) => m.script))]
    : []
  const script = pageScript()
  const csp = [
    "default-src 'none'",
    `script-src 'self' blob: 'wasm-unsafe-eval' ${scriptHash(script)}`,
    "style-src 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self' blob: data:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ')
  const title = `dualfit report: ${input.specs.map((s) => s.group.name).join(', ')}`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="generator" content="dualfit">
<link rel="icon" href="data:,">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>dualfit report</h1>
<p class="muted">${esc(`${input.specs.length} spec(s) on ${backends.join(', ')}. Tables as in results.md; charts also as SVG and PNG in charts/; models as ONNX in models/.`)}</p>
<nav>${input.specs.map((s) => `<a href="#spec-${esc(s.id)}">${esc(s.group.name)}</a>`).join('')}<a href="#environment">environment</a></nav>
${input.specs.map((s) => specSection(s, input.ortError ?? null)).join('\n')}
${environmentSection(results)}
</main>
<script type="application/json" id="${DATA_ID}">${scriptJson(config)}</script>
${scripts.map((src) => `<script src="${esc(src)}" defer></script>`).join('\n')}
<script>${script}</script>
</body>
</html>
`
}
