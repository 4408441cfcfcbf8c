import { type Dataset, type ExperimentResult, trainedModelOf } from '@dualfit/core'
import { exportOnnx } from '@dualfit/onnx'
import { type Summary, summarizeGroup } from '@dualfit/report'
import { ortAssets } from './assets.js'
import { type DataPoints, dataPoints } from './data.js'
import { type PageChart, type PageInput, type PageModel, type PageSpec, renderHtml } from './html.js'
import {
  classNames,
  finalRun,
  groupBySpec,
  type SpecGroup,
  slug,
  uniqueSlugs,
  usableWeights,
} from './model.js'
import { MODELS_GLOBAL } from './page/shared.js'
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
  /** Charts that could not be drawn, as `spec/name: why`. */
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
 * when it is at hand): `charts/<spec>-<name>.svg|png` (loss, quality, grid, predictions (per
 * output when there are several: predictions-<output>), seeds),
 * `models/<spec>-<backend>.onnx` with a `.onnx.js` copy in base64 for the page, `ort/` (the
 * onnxruntime-web files the page runs them with) and `report.html`. A chart that fails to draw
 * is reported in `failed` and on the page; it does not fail the report.
 */
export async function buildReport(
  results: ExperimentResult[],
  opts: ReportOptions = {},
): Promise<ReportSummary> {
  const out: Output = { files: {}, failed: [] }
  const groups = groupBySpec(results)
  const ids = uniqueSlugs(groups.map((g) => g.name))
  const specs: PageSpec[] = []
  for (const [gi, group] of groups.entries()) {
    const id = ids[gi] as string
    const first = group.results[0] as ExperimentResult
    const dataset = opts.datasets?.get(group.specHash)
    const data = await dataPoints(first, {
      ...(opts.baseDirs ? { baseDirs: opts.baseDirs } : {}),
      ...(dataset ? { dataset } : {}),
    })
    // A spec given twice is one group here but two in compare's tables: those do not fit it.
    const known = opts.summaries?.get(group.specHash)
    specs.push({
      id,
      group,
      summaries: known?.length === group.results.length ? known : summarizeGroup(group.results),
      charts: await drawCharts(group, id, data, out),
      models: exportModels(group, id, out),
    })
  }
  const charts = specs.reduce((n, s) => n + s.charts.filter((c) => c.svg !== null).length, 0)
  const models = specs.reduce((n, s) => n + s.models.length, 0)
  const ort: OrtPart = models > 0 ? await addOrt(out) : { ortScripts: [], ortVersion: null, ortError: null }
  out.files['report.html'] = renderHtml({ specs, ...ort })
  return { files: out.files, charts, models, failed: out.failed }
}

/** What the steps below add to: the report's files, and what could not be made. */
interface Output {
  files: ReportFiles
  failed: string[]
}

/** A spec's charts as SVG and PNG files, and as the page shows them (a failed one with its error). */
async function drawCharts(group: SpecGroup, id: string, data: DataPoints, out: Output): Promise<PageChart[]> {
  const pageCharts: PageChart[] = []
  for (const chart of chartsFor(group, data)) {
    const base = `charts/${id}-${chart.name}`
    try {
      const svg = await renderSvg(chart.spec)
      out.files[`${base}.svg`] = svg
      out.files[`${base}.png`] = svgToPng(svg)
      pageCharts.push({
        kind: chart.kind,
        title: chart.title,
        svg: scopeSvgIds(svg, `${id}-${chart.name}`),
        files: { svg: `${base}.svg`, png: `${base}.png` },
      })
    } catch (e) {
      out.failed.push(`${group.name}/${chart.name}: ${errorText(e)}`)
      pageCharts.push({ kind: chart.kind, title: chart.title, svg: null, error: errorText(e), files: null })
    }
  }
  return pageCharts
}

/** Each backend's final model of a spec as ONNX, plus the base64 script copy the page loads. */
function exportModels(group: SpecGroup, id: string, out: Output): PageModel[] {
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
      // A classifier keeps its raw outputs (the page applies softmax/sigmoid) and names its classes.
      const classes = classNames(r)
      bytes = exportOnnx(
        trainedModelOf(r, run),
        classes ? { classification: { classes, probabilities: false } } : {},
      )
    } catch (e) {
      out.failed.push(`${group.name}/${r.backend.id} model: ${errorText(e)}`)
      continue
    }
    out.files[`models/${key}.onnx`] = bytes
    out.files[`models/${key}.onnx.js`] =
      `// ${slug(r.backend.id, 'backend')}'s model of ${id} (${run.id}) in base64, for report.html\n` +
      `(window.${MODELS_GLOBAL} = window.${MODELS_GLOBAL} || {})[${JSON.stringify(key)}] = ${JSON.stringify(Buffer.from(bytes).toString('base64'))};\n`
    pageModels.push({
      key,
      backend: r.backend.id,
      onnx: `models/${key}.onnx`,
      script: `models/${key}.onnx.js`,
      trial: run.id,
    })
  }
  return pageModels
}

type OrtPart = Pick<PageInput, 'ortScripts' | 'ortVersion' | 'ortError'>

/** The onnxruntime-web files the page's try-it boxes run the models with. */
async function addOrt(out: Output): Promise<OrtPart> {
  try {
    const ort = await ortAssets()
    Object.assign(out.files, ort.files)
    return { ortScripts: ORT_SCRIPTS, ortVersion: ort.version, ortError: null }
  } catch (e) {
    // The page then says why its try-it boxes cannot run; the rest of the report stands.
    const ortError = `onnxruntime-web is not installed here (${errorText(e)})`
    out.failed.push(`try-it: ${ortError}`)
    return { ortScripts: [], ortVersion: null, ortError }
  }
}
