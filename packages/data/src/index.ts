export { DataError } from './errors.js'
export { formatFromPath, TABLE_FORMATS, type TableFormat } from './format.js'
export { isBlank, parseNumber, rangeProblem, underflowProblem } from './numbers.js'
export { type ReadTableOptions, readTable, type Table } from './read-table.js'
