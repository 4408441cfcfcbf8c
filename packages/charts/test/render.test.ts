import { describe, expect, it } from 'vitest'
import {
  CHART_HEIGHT,
  CHART_WIDTH,
  chartsFor,
  dataPoints,
  groupBySpec,
  lossChart,
  PNG_SCALE,
  pngSize,
  renderSvg,
  type SpecGroup,
  scopeSvgIds,
  svgToPng,
  textWidth,
} from '../src/index.js'
import { result } from './fixtures.js'

const EVIL = '<script>alert(1)</script>'

describe('rendering without a browser', () => {
  it('draws every chart as an SVG of the fixed size and a PNG of twice that', async () => {
    const g = groupBySpec([result('keras-style'), result('torch-style')])[0] as SpecGroup
    const charts = chartsFor(g, await dataPoints(g.results[0] as never))
    expect(charts.map((c) => c.kind)).toEqual(['loss', 'grid', 'predictions'])
    for (const c of charts) {
      const svg = await renderSvg(c.spec)
      expect(svg.startsWith('<svg')).toBe(true)
      expect(svg).toContain(`width="${CHART_WIDTH}" height="${CHART_HEIGHT}"`)
      expect(svg).toContain('keras-style')
      const png = svgToPng(svg)
      expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
      expect(pngSize(png)).toEqual({ width: CHART_WIDTH * PNG_SCALE, height: CHART_HEIGHT * PNG_SCALE })
      expect(png.length).toBeGreaterThan(10_000)
    }
  })

  it('escapes names that came from users in the SVG text', async () => {
    const r = result(EVIL, {
      spec: { name: EVIL, description: EVIL },
      data: { columns: { x: [EVIL], y: ['<img src=x onerror=alert(2)>'] }, name: EVIL },
    })
    const g = groupBySpec([r])[0] as SpecGroup
    for (const c of chartsFor(g, await dataPoints(r))) {
      const svg = await renderSvg(c.spec)
      expect(svg).not.toMatch(/<script|<img/i)
      expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    }
  })

  it('prefixes SVG ids so that charts on one page keep their own clip paths', () => {
    const svg = '<svg><defs><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)"/></svg>'
    expect(scopeSvgIds(svg, 'a-loss')).toBe(
      '<svg><defs><clipPath id="a-loss-clip1"><rect/></clipPath></defs><g clip-path="url(#a-loss-clip1)"/></svg>',
    )
  })

  it('reads PNG sizes and refuses what is not a PNG', () => {
    expect(pngSize(new Uint8Array([1, 2, 3]))).toBeNull()
    expect(
      pngSize(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"></svg>........')),
    ).toBeNull()
  })

  it('measures text as DejaVu Sans does, so that titles are not cut early', async () => {
    expect(textWidth('0123456789', 10)).toBeCloseTo(63.6, 6)
    expect(textWidth('abc', 12, true)).toBeGreaterThan(textWidth('abc', 12))
    // A 90-character subtitle fits in 690 px and is not cut with an ellipsis.
    const long = 'mean held-out MSE per grid point; band: lowest to highest of 3 folds x 2 seeds, all there'
    const svg = await renderSvg(
      lossChart(groupBySpec([result('a', { spec: { name: long } })])[0] as SpecGroup) as never,
    )
    expect(svg).toContain(`${long}: training loss per epoch`.slice(0, 80))
  })
})
