import { Resvg } from '@resvg/resvg-js'
import { parse, View } from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import { useDejaVuMetrics } from './metrics.js'
import { PNG_SCALE } from './specs.js'

/** Vega-Lite's warnings (e.g. a scale it adjusted) are not the user's business; errors throw. */
const quiet = {
  level(_?: number) {
    return quiet
  },
  error(...args: readonly unknown[]): never {
    throw new Error(args.map(String).join(' '))
  },
  warn: () => quiet,
  info: () => quiet,
  debug: () => quiet,
}

/**
 * SVG text of a Vega-Lite spec: compiled by vega-lite, run by a headless Vega view (no canvas,
 * no browser). Vega escapes every text it writes (titles, labels, legends).
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  useDejaVuMetrics()
  const compiled = compile(spec, { logger: quiet as never }).spec
  const view = new View(parse(compiled), { renderer: 'none', logLevel: 0 })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

/** A PNG of an SVG, drawn by resvg at `scale` (2: a 720 x 360 chart becomes 1440 x 720 pixels). */
export function svgToPng(svg: string, scale = PNG_SCALE): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: {
      loadSystemFonts: true,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
  })
  return new Uint8Array(resvg.render().asPng())
}

/** Width and height of a PNG from its IHDR chunk; null when `bytes` is not a PNG. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | null {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
  if (bytes.length < 24 || signature.some((b, i) => bytes[i] !== b)) return null
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return null
  return { width: view.getUint32(16), height: view.getUint32(20) }
}

/**
 * The SVG with its ids (clip paths, gradients) prefixed, so that several charts inlined in one
 * HTML page cannot point at each other's definitions.
 */
export function scopeSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_m, id: string) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_m, id: string) => `url(#${prefix}-${id})`)
    .replace(/\bhref="#([^"]+)"/g, (_m, id: string) => `href="#${prefix}-${id}"`)
}
