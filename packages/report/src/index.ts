export { duration, micros, num, signed, stat } from './format.js'
export { paramsLabel, type Stat, type Summary, summarize } from './summary.js'
export { footer, renderCsv, renderMarkdown, renderTable, tableRows, textTable } from './tables.js'
