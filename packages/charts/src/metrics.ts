import * as vega from 'vega'

/**
 * Advance widths (in em) of printable ASCII, 32..126, in DejaVu Sans and DejaVu Sans Bold: read
 * from the fonts' hmtx tables (fonts-dejavu-core 2.37). Without a canvas, Vega guesses every
 * character at 0.8 em, which cuts titles and spreads legends apart; these make its layout match
 * what resvg draws (DejaVu Sans), and err wide for the narrower Arial or Helvetica in a browser.
 */
const REGULAR = [
  0.318, 0.401, 0.46, 0.838, 0.636, 0.95, 0.78, 0.275, 0.39, 0.39, 0.5, 0.838, 0.318, 0.361, 0.318, 0.337,
  0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.337, 0.337, 0.838, 0.838, 0.838,
  0.531, 1, 0.684, 0.686, 0.698, 0.77, 0.632, 0.575, 0.775, 0.752, 0.295, 0.295, 0.656, 0.557, 0.863, 0.748,
  0.787, 0.603, 0.787, 0.695, 0.635, 0.611, 0.732, 0.684, 0.989, 0.685, 0.611, 0.685, 0.39, 0.337, 0.39,
  0.838, 0.5, 0.5, 0.613, 0.635, 0.55, 0.635, 0.615, 0.352, 0.635, 0.634, 0.278, 0.278, 0.579, 0.278, 0.974,
  0.634, 0.612, 0.635, 0.635, 0.411, 0.521, 0.392, 0.634, 0.592, 0.818, 0.592, 0.592, 0.525, 0.636, 0.337,
  0.636, 0.838,
]
const BOLD = [
  0.348, 0.456, 0.521, 0.838, 0.696, 1.002, 0.872, 0.306, 0.457, 0.457, 0.523, 0.838, 0.38, 0.415, 0.38,
  0.365, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.696, 0.4, 0.4, 0.838, 0.838, 0.838,
  0.58, 1, 0.774, 0.762, 0.734, 0.83, 0.683, 0.683, 0.821, 0.837, 0.372, 0.372, 0.775, 0.637, 0.995, 0.837,
  0.85, 0.733, 0.85, 0.77, 0.72, 0.682, 0.812, 0.774, 1.103, 0.771, 0.724, 0.725, 0.457, 0.365, 0.457, 0.838,
  0.5, 0.5, 0.675, 0.716, 0.593, 0.716, 0.678, 0.435, 0.716, 0.712, 0.343, 0.343, 0.665, 0.343, 1.042, 0.712,
  0.687, 0.716, 0.716, 0.493, 0.595, 0.478, 0.712, 0.652, 0.924, 0.645, 0.652, 0.582, 0.712, 0.365, 0.712,
  0.838,
]

/** Width in em of one character: the table for ASCII, 1 for wide (CJK) ones, 0.7 for the rest. */
function charWidth(code: number, bold: boolean): number {
  if (code >= 32 && code <= 126) return (bold ? BOLD : REGULAR)[code - 32] as number
  if (code >= 0x1100 && (code <= 0x115f || (code >= 0x2e80 && code <= 0xffdc))) return 1
  return bold ? 0.78 : 0.72
}

/** Width in pixels of `text` at `fontSize`, bold or not, in DejaVu Sans. */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let w = 0
  for (const ch of text) w += charWidth(ch.codePointAt(0) as number, bold)
  return w * fontSize
}

interface TextItem {
  fontSize?: number
  fontWeight?: string | number
  text?: unknown
}

interface TextMetrics {
  width: (item: TextItem, text?: unknown) => number
}

let installed = false

/** Makes Vega measure text with DejaVu Sans widths (once per process; Vega's own hook for this). */
export function useDejaVuMetrics(): void {
  if (installed) return
  installed = true
  const metrics = (vega as unknown as { textMetrics: TextMetrics }).textMetrics
  metrics.width = (item, text) => {
    const t = text ?? item.text
    const s = t === null || t === undefined ? '' : Array.isArray(t) ? t.join(' ') : String(t)
    const bold = item.fontWeight === 'bold' || Number(item.fontWeight) >= 600
    return textWidth(s, item.fontSize ?? 11, bold)
  }
}
