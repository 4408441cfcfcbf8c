export {
  csvText,
  duration,
  markdownCell,
  markdownLine,
  meanSd,
  micros,
  num,
  plain,
  signed,
  stat,
} from './format.js'
export { paramsLabel, type Stat, type Summary, summarize, summarizeGroup } from './summary.js'
export {
  curves,
  dataLine,
  footer,
  type Layout,
  parityLines,
  renderCsv,
  renderMarkdown,
  renderTable,
  settingsRows,
  sparkline,
  tableRows,
  tallRows,
  textTable,
} from './tables.js'
