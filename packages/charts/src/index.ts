export { type OrtAssets, ortAssets } from './assets.js'
export { type DataPoints, dataPoints, MAX_POINTS } from './data.js'
export {
  escapeHtml,
  type PageChart,
  type PageInput,
  type PageModel,
  type PageSpec,
  renderHtml,
  scriptJson,
} from './html.js'
export { textWidth, useDejaVuMetrics } from './metrics.js'
export {
  backendsOf,
  classNames,
  earlyStoppingRun,
  finalRun,
  finalRuns,
  groupBySpec,
  outputsLogits,
  type SpecGroup,
  slug,
  uniqueSlugs,
  usableWeights,
} from './model.js'
export { ORT_GLOBAL } from './page/shared.js'
export { pageScript } from './page.js'
export { pngSize, renderSvg, scopeSvgIds, svgToPng } from './render.js'
export {
  buildReport,
  ORT_SCRIPTS,
  type ReportFiles,
  type ReportOptions,
  type ReportSummary,
} from './report.js'
export {
  accuracyChart,
  CHART_HEIGHT,
  CHART_WIDTH,
  type Chart,
  type ChartKind,
  chartsFor,
  confusionChart,
  DASHES,
  FONT_FAMILY,
  gridChart,
  logTicks,
  lossChart,
  PALETTE,
  PNG_SCALE,
  predictionChart,
  probabilitiesChart,
  qualityChart,
  REGION_GRID,
  regionsChart,
  seedChart,
  seedCharts,
  titleOf,
} from './specs.js'
