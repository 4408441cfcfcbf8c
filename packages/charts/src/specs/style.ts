/** The look every chart shares: its size, fonts, colours and dashes, and the legend of its series. */
import { textWidth } from '../metrics.js'

/** Every chart is this many CSS pixels, legend and titles included (Vega's autosize "fit"). */
export const CHART_WIDTH = 720
export const CHART_HEIGHT = 360
/** PNGs are drawn at this scale: 1440 x 720 pixels. */
export const PNG_SCALE = 2

/** Fonts with wide coverage on Linux first (resvg reads the system's), then the usual fallbacks. */
export const FONT_FAMILY = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif'

/** Tableau 10, the Vega default: backend k always gets colour k. */
export const PALETTE = [
  '#4c78a8',
  '#f58518',
  '#54a24b',
  '#e45756',
  '#72b7b2',
  '#b279a2',
  '#eeca3b',
  '#9d755d',
  '#ff9da6',
  '#bab0ac',
]
/** Dashes per backend, so that lines that coincide (the usual case) stay visible. */
/** A class's colour: the palette in class order (regions, probabilities). */
export const classColor = (k: number) => PALETTE[k % PALETTE.length] as string

export const DASHES = [
  [1, 0],
  [8, 5],
  [2, 3],
  [12, 4, 2, 4],
  [4, 4],
  [1, 6],
]

const CONFIG = {
  font: FONT_FAMILY,
  view: { stroke: '#ddd' },
  axis: {
    labelFontSize: 12,
    titleFontSize: 13,
    titleFontWeight: 'normal' as const,
    titleColor: '#333',
    labelColor: '#333',
    gridColor: '#ececec',
    labelOverlap: 'greedy' as const,
    labelSeparation: 6,
  },
  // A y title longer than the plot is tall would push the chart's title off the canvas.
  axisY: { titleLimit: 210 },
  axisX: { titleLimit: 600 },
  legend: {
    labelFontSize: 12,
    titleFontSize: 12,
    orient: 'top' as const,
    direction: 'horizontal' as const,
    symbolStrokeWidth: 2.5,
    labelLimit: 260,
  },
  title: {
    fontSize: 15,
    subtitleFontSize: 12,
    subtitleColor: '#555',
    anchor: 'start' as const,
    offset: 6,
  },
}

const cycle = <T>(list: T[], i: number): T => list[i % list.length] as T

/** Room for a title line: the chart's width less its padding. */
const TITLE_ROOM = CHART_WIDTH - 30

/**
 * `text` in lines of at most `room` pixels (DejaVu widths, as Vega measures them), broken at
 * spaces, a longer word split: Vega cuts a line that is too long with '…' instead of wrapping it.
 */
export function wrapText(text: string, room: number, fontSize: number, bold = false): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    const joined = line ? `${line} ${word}` : word
    if (textWidth(joined, fontSize, bold) <= room) {
      line = joined
      continue
    }
    if (line) lines.push(line)
    line = ''
    for (const ch of word) {
      if (line && textWidth(line + ch, fontSize, bold) > room) {
        lines.push(line)
        line = ''
      }
      line += ch
    }
  }
  lines.push(line)
  return lines
}

export function frame(title: string, subtitle: string[]): Record<string, unknown> {
  const { fontSize, subtitleFontSize } = CONFIG.title
  const sub = subtitle.flatMap((l) => wrapText(l, TITLE_ROOM, subtitleFontSize))
  const lines = wrapText(title, TITLE_ROOM, fontSize, true)
  return {
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    padding: { left: 10, right: 16, top: 16, bottom: 8 },
    background: 'white',
    title: {
      text: lines.length === 1 ? lines[0] : lines,
      ...(sub.length > 0 ? { subtitle: sub } : {}),
      limit: TITLE_ROOM,
      subtitleLimit: TITLE_ROOM,
    } as never,
    config: CONFIG,
  }
}

/**
 * The colour and dash of each series, with one legend for both whose symbols are short lines in
 * the series' colour and dash (whatever mark comes first), or dots for the series named in `dots`.
 */
export function seriesEncoding(
  domain: string[],
  colors: string[],
  dashes: number[][],
  title: string | null,
  dots: string[] = [],
) {
  const isDot = dots.map((d) => `datum.value === ${JSON.stringify(d)}`).join(' || ')
  const when = <T>(dot: T, line: T) => (isDot ? [{ test: isDot, ...dot }, line] : [line])
  const legend = {
    title,
    symbolType: 'stroke',
    symbolSize: 200,
    encode: {
      symbols: {
        update: {
          shape: when({ value: 'circle' }, { value: 'stroke' }),
          stroke: { scale: 'color', field: 'value' },
          strokeDash: when({ value: [1, 0] }, { scale: 'strokeDash', field: 'value' }),
          strokeWidth: { value: 2.5 },
          fill: when({ scale: 'color', field: 'value' }, { value: 'transparent' }),
          opacity: { value: 1 },
        },
      },
    },
  }
  return {
    color: {
      field: 'series',
      type: 'nominal' as const,
      scale: { domain, range: colors },
      legend,
      sort: null,
    },
    strokeDash: {
      field: 'series',
      type: 'nominal' as const,
      scale: { domain, range: dashes },
      legend,
      sort: null,
    },
  }
}

export function backendStyles(backends: string[]) {
  return {
    colors: backends.map((_, i) => cycle(PALETTE, i)),
    dashes: backends.map((_, i) => cycle(DASHES, i)),
  }
}

export type SeriesEncoding = ReturnType<typeof seriesEncoding>
