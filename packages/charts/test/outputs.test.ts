// Every output and every report input in the charts and on the page, and titles that fit.
import { describe, expect, it } from 'vitest'
import {
  buildReport,
  CHART_WIDTH,
  chartsFor,
  dataPoints,
  groupBySpec,
  predictionChart,
  qualityChart,
  renderSvg,
  type SpecGroup,
  textWidth,
} from '../src/index.js'
import { result, trial } from './fixtures.js'

// biome-ignore lint/suspicious/noExplicitAny: specs are read as plain JSON here
type Json = any

const group = (...results: ReturnType<typeof result>[]): SpecGroup => groupBySpec(results)[0] as SpecGroup
/** The SVG's title and subtitle text (Vega draws the title group last). */
function titleText(svg: string): string {
  const at = svg.indexOf('class="mark-group role-title"')
  expect(at).toBeGreaterThan(0)
  return svg.slice(at)
}
const layerOf = (spec: Json, type: string, shape?: string) =>
  spec.layer.find((l: Json) => l.mark.type === type && (shape === undefined || l.mark.shape === shape))

/** Horsepower -> (mpg, lbs): y = (40 - 0.1 x, 1500 + 15 x), on inline rows, predicted at 100 and 200. */
function twoOutputs(backend: string) {
  const predictions = [100, 200].map((x) => ({ x: [x], y: [40 - 0.1 * x, 1500 + 15 * x] }))
  return result(backend, {
    spec: {
      name: 'cars',
      dataset: {
        inline: {
          x: [50, 100, 150],
          y: [
            [35, 2250],
            [30, 3000],
            [25, 3750],
          ],
        },
      },
      model: { layers: [{ units: 2 }] },
      report: { predict: [100, 200] },
    },
    data: {
      name: 'inline',
      columns: { x: ['hp'], y: ['mpg', 'weight lbs'] },
      units: { x: [''], y: ['', 'lbs'] },
      rows: 3,
    },
    trials: [
      trial('refit', {
        weights: [{ inputs: 1, units: 2, kernel: [-0.1, 15], bias: [40, 1500] }],
        predictions,
      }),
    ],
  })
}

describe('a spec with two outputs', () => {
  it('reads every output of its rows', async () => {
    const d = await dataPoints(twoOutputs('a'))
    expect(d.points).toEqual([
      [50, 35, 2250],
      [100, 30, 3000],
      [150, 25, 3750],
    ])
  })

  it('gets a predictions chart per output, each with its own column, curve and predictions', async () => {
    const g = group(twoOutputs('keras-style'), twoOutputs('torch-style'))
    const charts = chartsFor(g, await dataPoints(g.results[0] as Json)).filter(
      (c) => c.kind === 'predictions',
    )
    expect(charts.map((c) => c.name)).toEqual(['predictions-mpg', 'predictions-weight-lbs'])
    expect(charts.map((c) => c.title)).toEqual([
      'cars: model vs data, mpg',
      'cars: model vs data, weight lbs',
    ])
    for (const [j, c] of charts.entries()) {
      const spec = c.spec as Json
      const points = layerOf(spec, 'point', undefined)
      expect(points.encoding.y.title).toBe(j === 0 ? 'mpg' : 'weight lbs (lbs)')
      expect(points.data.values.map((v: Json) => v.y)).toEqual(j === 0 ? [35, 30, 25] : [2250, 3000, 3750])
      // The curve is output j of the forward pass.
      const curve = layerOf(spec, 'line').data.values.filter((v: Json) => v.series === 'keras-style')
      for (const v of curve) expect(v.y).toBeCloseTo(j === 0 ? 40 - 0.1 * v.x : 1500 + 15 * v.x, 9)
      // Each backend's prediction at each report input, of this output.
      const predicted = layerOf(spec, 'point', 'diamond').data.values
      expect(predicted).toEqual(
        ['keras-style', 'torch-style'].flatMap((series) =>
          [100, 200].map((x) => ({ series, x, y: j === 0 ? 40 - 0.1 * x : 1500 + 15 * x })),
        ),
      )
    }
  })

  it('has no chart for an output the data do not have', () => {
    expect(
      predictionChart(group(twoOutputs('a')), { points: [], source: 'none', rows: 0 }, { output: 2 }),
    ).toBeNull()
  })

  it('writes each predictions chart to its own file and shows both on the page', async () => {
    const r = await buildReport([twoOutputs('keras-style'), twoOutputs('torch-style')])
    expect(r.failed).toEqual([])
    const names = Object.keys(r.files).filter((f) => f.startsWith('charts/cars-predictions'))
    expect(names.sort()).toEqual([
      'charts/cars-predictions-mpg.png',
      'charts/cars-predictions-mpg.svg',
      'charts/cars-predictions-weight-lbs.png',
      'charts/cars-predictions-weight-lbs.svg',
    ])
    const html = r.files['report.html'] as string
    expect(html.match(/<figure class="chart" data-kind="predictions"/g)).toHaveLength(2)
    for (const label of [
      'pred mpg @ 100',
      'pred mpg @ 200',
      'pred weight lbs @ 100',
      'pred weight lbs @ 200',
    ])
      expect(html).toContain(`<th>${label}</th>`)
  })
})

describe('the predictions chart and the report inputs', () => {
  it('marks the prediction at every report input, and widens the range to show them', async () => {
    const predictions = [100, 200].map((x) => ({ x: [x], y: [3.28 * x + 0.01], exact: [3.28084 * x] }))
    const r = result('a', {
      spec: { report: { predict: [100, 200] } },
      trials: [trial('refit', { predictions })],
    })
    const spec = predictionChart(group(r), await dataPoints(r)) as Json
    expect(layerOf(spec, 'point', 'diamond').data.values.map((v: Json) => v.x)).toEqual([100, 200])
    const [lo, hi] = layerOf(spec, 'line').encoding.x.scale.domain
    expect(lo).toBeLessThan(1)
    expect(hi).toBeGreaterThan(200)
    expect(spec.title.subtitle).toContain('◆ prediction at 100, 200 m')
  })
})

describe('chart titles', () => {
  const longNames = ['keras-style-long-backend-name', 'torch-style-long-backend-name']
  const tracked = (backend: string, toQuality: number) =>
    result(backend, {
      spec: { report: { predict: [100, 200] } },
      trials: [
        trial('refit', {
          history: { loss: [100, 10, 1, 0.1], error: [5, 0.5, 0.005, 0.001] },
          toQuality: { epochs: toQuality, steps: toQuality * 7 },
          predictions: [
            { x: [100], y: [328], exact: [328.084], absError: [0.084] },
            { x: [200], y: [656], exact: [656.168], absError: [0.168] },
          ],
          timings: { setupMs: 1, trainMs: 2, totalMs: 3, usPerStep: 95, toQualityMs: 12.5 * toQuality },
        }),
      ],
    })

  it("name each report input's final error in the quality chart, in lines that fit the chart", async () => {
    const spec = qualityChart(
      group(tracked(longNames[0] as string, 3), tracked(longNames[1] as string, 4)),
    ) as Json
    expect(spec.title.text).toBe('mini: largest error at the report inputs per epoch')
    const subtitle: string[] = spec.title.subtitle
    expect(subtitle.length).toBeGreaterThan(2)
    for (const line of subtitle) expect(textWidth(line, 12)).toBeLessThanOrEqual(CHART_WIDTH - 30)
    const text = subtitle.join(' ')
    expect(text).toContain(`(${longNames[0]} 37.5 ms, ${longNames[1]} 50 ms)`)
    expect(text).toContain('final |error| at each: 100 m: 0.084 ft, 200 m: 0.168 ft')
    // Vega cuts a line too long for its limit with '…': none is.
    expect(titleText(await renderSvg(spec))).not.toContain('…')
  })

  it('wrap a long title instead of cutting it', async () => {
    const name = 'a spec whose name runs on and on, longer than any chart is wide, to see it wrap'
    const g = group(result('a', { spec: { name } }))
    for (const chart of chartsFor(g, await dataPoints(g.results[0] as Json))) {
      expect(chart.title).toContain(name)
      expect(titleText(await renderSvg(chart.spec))).not.toContain('…')
    }
  })
})

describe('the summary table on the page', () => {
  const wideOnes = (html: string) => html.match(/<div class="summary[^"]*">/g)

  it('comes as one row per backend with its one-row-per-measure twin for narrow pages', async () => {
    const html = (await buildReport([result('a'), result('b')])).files['report.html'] as string
    expect(wideOnes(html)).toEqual([expect.stringMatching(/^<div class="summary w\d+">$/)])
    expect(html).toContain('<tr class="backend" data-backend="a">')
    expect(html).toContain(
      '<table class="tall">\n<thead><tr><th>measure</th><th>a (cpu)</th><th>b (cpu)</th><th>Δ a − b</th>',
    )
    // The narrow page hides the wide table below the width it needs.
    expect(html).toMatch(
      /@container summary \(max-width: [\d.]+px\) \{ \.summary\.w\d+ \.wide \{ display: none; \}/,
    )
  })

  it('is one row per measure only when no page is wide enough for a row per backend', async () => {
    const predict = Array.from({ length: 30 }, (_, i) => 100 + i)
    const predictions = predict.map((x) => ({
      x: [x],
      y: [3.28 * x],
      exact: [3.28084 * x],
      absError: [0.00084 * x],
    }))
    const r = (b: string) =>
      result(b, { spec: { report: { predict } }, trials: [trial('refit', { predictions })] })
    const html = (await buildReport([r('a'), r('b')])).files['report.html'] as string
    expect(wideOnes(html)).toEqual(['<div class="summary">'])
    expect(html).toContain('<div class="tall only">')
    expect(html).not.toContain('<tr class="backend"')
    for (const x of predict) expect(html).toContain(`<td>pred @ ${x} m</td>`)
  })
})

describe('the seeds charts with two outputs and two report inputs', () => {
  /** `twoOutputs`, run with seeds 0 and 1: seed s predicts y + s at each input. */
  function seeded(backend: string) {
    const r = twoOutputs(backend)
    const base = r.trials[0] as Json
    return {
      ...r,
      spec: { ...r.spec, seeds: [0, 1] },
      trials: [0, 1].map((seed) => ({
        ...base,
        id: `refit/p0/s${seed}`,
        seed,
        predictions: base.predictions.map((p: Json) => ({ x: p.x, y: p.y.map((v: number) => v + seed) })),
      })),
    }
  }

  it('draws one per output and input, each with every seed of every backend there', async () => {
    const g = group(seeded('keras-style'), seeded('torch-style'))
    const charts = chartsFor(g, await dataPoints(g.results[0] as Json)).filter((c) => c.kind === 'seeds')
    expect(charts.map((c) => c.name)).toEqual([
      'seeds-mpg-at-100',
      'seeds-mpg-at-200',
      'seeds-weight-lbs-at-100',
      'seeds-weight-lbs-at-200',
    ])
    expect(charts.map((c) => c.title)).toEqual([
      'cars: spread over 2 seeds, mpg at 100',
      'cars: spread over 2 seeds, mpg at 200',
      'cars: spread over 2 seeds, weight lbs at 100',
      'cars: spread over 2 seeds, weight lbs at 200',
    ])
    const exact = (j: number, x: number) => (j === 0 ? 40 - 0.1 * x : 1500 + 15 * x)
    for (const [k, c] of charts.entries()) {
      const [j, x] = [Math.floor(k / 2), k % 2 === 0 ? 100 : 200]
      const spec = c.spec as Json
      expect(spec.data.values).toEqual(
        ['keras-style', 'torch-style'].flatMap((series) =>
          [0, 1].map((seed) => ({ series, seed, value: exact(j, x) + seed })),
        ),
      )
      expect(spec.layer[1].encoding.y.title).toBe(
        j === 0 ? `prediction of mpg at ${x}` : `prediction of weight lbs at ${x} (lbs)`,
      )
    }
  })

  it('writes each to its own file', async () => {
    const r = await buildReport([seeded('keras-style'), seeded('torch-style')])
    expect(r.failed).toEqual([])
    const names = Object.keys(r.files).filter((f) => f.startsWith('charts/cars-seeds') && f.endsWith('.svg'))
    expect(names.sort()).toEqual([
      'charts/cars-seeds-mpg-at-100.svg',
      'charts/cars-seeds-mpg-at-200.svg',
      'charts/cars-seeds-weight-lbs-at-100.svg',
      'charts/cars-seeds-weight-lbs-at-200.svg',
    ])
  })

  it('keeps the one name `seeds` for one output and one input', async () => {
    const trials = [0, 1].map((seed) =>
      trial('refit', { seed, predictions: [{ x: [100], y: [320 + seed], exact: [328.084] }] }),
    )
    const g = group(result('a', { spec: { seeds: [0, 1] }, trials }))
    const seeds = chartsFor(g, await dataPoints(g.results[0] as Json)).filter((c) => c.kind === 'seeds')
    expect(seeds.map((c) => [c.name, c.title])).toEqual([['seeds', 'mini: spread over 2 seeds']])
  })
})
