import { dirname, join, resolve } from 'node:path'
import { buildReport } from '@dualfit/charts'
import { plain } from '@dualfit/report'
import type { Argv } from 'yargs'
import { pathOption } from '../io.js'
import type { Command, Context } from '../options.js'
import { prepareOut, REPORT_FILES, writeResultSet } from '../outdir.js'
import { readResults } from '../results.js'

export interface ReportArgs {
  results: string
  out: string
}

/** `dualfit report RESULTS --out DIR`: the charts and the HTML report again, from a saved results file. */
export async function report(a: ReportArgs): Promise<string> {
  const results = readResults(a.results, { for: 'report' })
  prepareOut(a.out, '--out', REPORT_FILES, false)
  // A file dataset is looked for next to the results, then here, to draw its rows.
  const r = await buildReport(results, { baseDirs: [dirname(resolve(a.results)), process.cwd()] })
  // Beside what is already there (results.json, say), which stays listed in the folder's manifest.
  await writeResultSet(a.out, r.files, false)
  const failed = r.failed.length > 0 ? `; could not draw ${r.failed.join('; ')}` : ''
  return `${plain(`wrote ${join(a.out, 'report.html')}: ${r.charts} chart(s) as SVG and PNG in charts/, ${r.models} ONNX model(s) in models/${failed}`)}\n`
}

export const reportCommand: Command = {
  name: 'report',
  register: (y: Argv, ctx: Context) =>
    y.command(
      'report <results>',
      'Draw the charts (SVG, PNG) and the HTML report again from a results file (compare --out, or train --format json)',
      (o) =>
        o
          .positional('results', { type: 'string', demandOption: true, describe: 'results.json' })
          .option('out', {
            type: 'string',
            demandOption: true,
            coerce: pathOption('--out'),
            describe:
              'folder for report.html, charts/, models/ and ort/ (as compare --out: never over files dualfit did not write)',
          })
          .example('$0 report out/results.json --out out/', 'the charts and report.html next to the results')
          .example(
            '$0 report results.json --out report/ && open report/report.html',
            'opens from disk, offline',
          ),
      (a) => ctx.print(report({ results: a.results as string, out: a.out })),
    ),
}
