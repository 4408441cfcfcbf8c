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
export { confusionTables, MAX_CONFUSION_CLASSES, settingsRows, tableRows, tallRows, turn } from './rows.js'
export {
  type PredictionStat,
  paramsLabel,
  rowNames,
  type Stat,
  type Summary,
  summarize,
  summarizeGroup,
  taskOfSummary,
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
