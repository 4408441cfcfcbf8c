/**
 * report.html's script: src/page/try-it.ts as esbuild bundled it for the browser at build time.
 * The path leads to dist/ both from dist/page.js and, under vitest, from src/page.ts.
 */
import { readFileSync } from 'node:fs'

let script: string | null = null

/** The page script's text (read once). */
export function pageScript(): string {
  script ??= readFileSync(new URL('../dist/page/try-it.txt', import.meta.url), 'utf8')
  return script
}
