export { renderCsv } from './csv.js'
export { dataLine, footer, parityLines } from './footer.js'
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
export { renderMarkdown } from './markdown.js'
export { settingsRows, tableRows, tallRows, turn } from './rows.js'
export {
  type PredictionStat,
  paramsLabel,
  rowNames,
  type Stat,
  type Summary,
  summarize,
  summarizeGroup,
} from './summary.js'
export {
  curves,
  type Layout,
  longest,
  renderTable,
  sparkline,
  terminalWidth,
  textTable,
  wrapLine,
} from './terminal.js'
