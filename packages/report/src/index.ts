export { csvText, duration, markdownCell, markdownLine, micros, num, plain, signed, stat } from './format.js'
export { paramsLabel, type Stat, type Summary, summarize } from './summary.js'
export {
  curves,
  dataLine,
  footer,
  type Layout,
  renderCsv,
  renderMarkdown,
  renderTable,
  sparkline,
  tableRows,
  tallRows,
  textTable,
} from './tables.js'
