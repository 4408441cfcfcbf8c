/** The Markdown table (results.md), with the lines under it. */
import { footer, parityLines } from './footer.js'
import { markdownCell, markdownLine } from './format.js'
import { confusionTables, settingsRows, tableRows } from './rows.js'
import type { Summary } from './summary.js'

function markdownTable({ head, body }: { head: string[]; body: string[][] }): string[] {
  const line = (cells: string[]) => `| ${cells.map(markdownCell).join(' | ')} |`
  return [line(head), `| ${head.map(() => '---').join(' | ')} |`, ...body.map(line), '']
}

export function renderMarkdown(rows: Summary[]): string {
  const settings = settingsRows(rows)
  return [
    `## ${markdownCell(rows[0]?.spec ?? '')}`,
    '',
    ...markdownTable(tableRows(rows)),
    ...confusionTables(rows).flatMap((t) => [markdownLine(t.title), '', ...markdownTable(t)]),
    ...parityLines(rows).flatMap((l) => [markdownLine(l), '']),
    ...(settings ? markdownTable(settings) : []),
    markdownLine(footer(rows)),
    '',
  ].join('\n')
}
