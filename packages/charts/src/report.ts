import { type Dataset, type ExperimentResult, trainedModelOf } from '@dualfit/core'
import { exportOnnx } from '@dualfit/onnx'
import { type Summary, summarizeGroup } from '@dualfit/report'
import { ortAssets } from './assets.js'
import { dataPoints } from './data.js'
import { type PageChart, type PageModel, type PageSpec, renderHtml } from './html.js'
import { finalRun, groupBySpec, slug, uniqueSlugs, usableWeights } from './model.js'
import { renderSvg, scopeSvgIds, svgToPng } from './render.js'
import { chartsFor } from './specs.js'

/** Files of a report, by path relative to its folder (`/`-separated). */
export type ReportFiles = Record<string, string | Uint8Array>

export interface ReportOptions {
  /** Folders to look for a file dataset in (its spec's folder, the current one), to draw its rows. */
  baseDirs?: string[]
  /**
   * summarizeGroup of each spec's results, by specHash, when the caller has them already (compare
   * printed its tables from them); a spec whose entry does not cover its results is summarized here.
   */
  summaries?: ReadonlyMap<string, Summary[]>
  /** Datasets already loaded, by specHash: a file dataset found here is not read again. */
  datasets?: ReadonlyMap<string, Dataset>
}

export interface ReportSummary {
  files: ReportFiles
  charts: number
  models: number
  /** Charts that could not be drawn, as `spec/kind: why`. */
  failed: string[]
}

/** The ort/ scripts report.html loads, in order. */
export const ORT_SCRIPTS = [
  'ort/ort.wasm.min.js',
  'ort/ort-wasm-simd-threaded.mjs.js',
  'ort/ort-wasm-simd-threaded.wasm.gz.js',
]

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? ''

/**
 * Everything a report folder holds, built from results alone (and, for a file dataset, the file
 * when it is at hand): `charts/<spec>-<kind>.svg|png` (kinds: loss, grid, predictions, seeds),
 * `models/<spec>-<backend>.onnx` with a `.onnx.js` copy in base64 for the page, `ort/` (the
 * onnxruntime-web files the page runs them with) and `report.html`. A chart that fails to draw
 * is reported in `failed` and on the page; it does not fail the report.
 */
export async function buildReport(
  results: ExperimentResult[],
  opts: ReportOptions = {},
): Promise<ReportSummary> {
  const files: ReportFiles = {}
  const failed: string[] = []
  const groups = groupBySpec(results)
  const ids = uniqueSlugs(groups.map((g) => g.name))
  const specs: PageSpec[] = []
  let charts = 0
  let models = 0
  for (const [gi, group] of groups.entries()) {
    const id = ids[gi] as string
    const first = group.results[0] as ExperimentResult
    const dataset = opts.datasets?.get(group.specHash)
    const data = await dataPoints(first, {
      ...(opts.baseDirs ? { baseDirs: opts.baseDirs } : {}),
      ...(dataset ? { dataset } : {}),
    })
    const pageCharts: PageChart[] = []
    for (const chart of chartsFor(group, data)) {
      const base = `charts/${id}-${chart.kind}`
      try {
        const svg = await renderSvg(chart.spec)
        files[`${base}.svg`] = svg
        files[`${base}.png`] = svgToPng(svg)
        pageCharts.push({
          kind: chart.kind,
          title: chart.title,
          svg: scopeSvgIds(svg, `${id}-${chart.kind}`),
          files: { svg: `${base}.svg`, png: `${base}.png` },
        })
        charts++
      } catch (e) {
        failed.push(`${group.name}/${chart.kind}: ${errorText(e)}`)
        pageCharts.push({ kind: chart.kind, title: chart.title, svg: null, error: errorText(e), files: null })
      }
    }
    const pageModels: PageModel[] = []
    const backendIds = uniqueSlugs(
      group.results.map((r) => r.backend.id),
      'backend',
    )
    for (const [ri, r] of group.results.entries()) {
      const run = finalRun(r)
      if (!usableWeights(r, run)) continue
      const key = `${id}-${backendIds[ri]}`
      let bytes: Uint8Array
      try {
        bytes = exportOnnx(trainedModelOf(r, run))
      } catch (e) {
        failed.push(`${group.name}/${r.backend.id} model: ${errorText(e)}`)
        continue
      }
      files[`models/${key}.onnx`] = bytes
      files[`models/${key}.onnx.js`] =
        `// ${slug(r.backend.id, 'backend')}'s model of ${id} (${run.id}) in base64, for report.html\n` +
        `(window.DUALFIT_MODELS = window.DUALFIT_MODELS || {})[${JSON.stringify(key)}] = ${JSON.stringify(Buffer.from(bytes).toString('base64'))};\n`
      pageModels.push({
        key,
        backend: r.backend.id,
        onnx: `models/${key}.onnx`,
        script: `models/${key}.onnx.js`,
        trial: run.id,
      })
      models++
    }
    // A spec given twice is one group here but two in compare's tables: those do not fit it.
    const known = opts.summaries?.get(group.specHash)
    specs.push({
      id,
      group,
      summaries: known?.length === group.results.length ? known : summarizeGroup(group.results),
      charts: pageCharts,
      models: pageModels,
    })
  }
  let ortScripts: string[] = []
  let ortVersion: string | null = null
  let ortError: string | null = null
  if (models > 0) {
    try {
      const ort = await ortAssets()
      Object.assign(files, ort.files)
      ortVersion = ort.version
      ortScripts = ORT_SCRIPTS
    } catch (e) {
      // The page then says why its try-it boxes cannot run; the rest of the report stands.
      ortError = `onnxruntime-web is not installed here (${errorText(e)})`
      failed.push(`try-it: ${ortError}`)
    }
  }
  files['report.html'] = renderHtml({ specs, ortScripts, ortVersion, ortError })
  return { files, charts, models, failed }
}
