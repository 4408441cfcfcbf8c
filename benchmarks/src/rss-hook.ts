/**
 * Preloaded (`node --import`) into the processes the startup suite times: on exit, writes the
 * process's peak RSS (KiB) to the file named by DUALFIT_BENCH_RSS_FILE. Nothing else.
 */
import { writeFileSync } from 'node:fs'

const file = process.env.DUALFIT_BENCH_RSS_FILE
if (file) {
  process.on('exit', () => {
    try {
      writeFileSync(file, String(process.resourceUsage().maxRSS))
    } catch {
      // a figure lost, never a failed run
    }
  })
}
