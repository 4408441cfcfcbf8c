import { builtinDataset, dataHash, forwardRow } from '@dualfit/core'
import { describe, expect, it } from 'vitest'
import {
  chartsFor,
  type DataPoints,
  dataPoints,
  gridChart,
  groupBySpec,
  logTicks,
  lossChart,
  predictionChart,
  qualityChart,
  renderSvg,
  type SpecGroup,
  seedChart,
  slug,
  titleOf,
  uniqueSlugs,
} from '../src/index.js'
import { result, trial } from './fixtures.js'

// biome-ignore lint/suspicious/noExplicitAny: specs are read as plain JSON here
type Json = any

const group = (...results: ReturnType<typeof result>[]): SpecGroup => groupBySpec(results)[0] as SpecGroup
const layers = (spec: unknown): Json[] => (spec as Json).layer
/** The data rows a layer draws (its own, else the chart's). */
const rows = (spec: unknown, layer: Json): Json[] => (layer.data ?? (spec as Json).data).values
const seriesOf = (values: Json[]) => [...new Set(values.map((v) => v.series))]

describe('loss chart', () => {
  const g = group(result('keras-style'), result('torch-style'))
  const spec = lossChart(g)

  it("draws one line per backend from the final model's history, on a log y scale", () => {
    expect(spec).not.toBeNull()
    const line = layers(spec).find((l) => l.mark.type === 'line')
    const values = rows(spec, line)
    expect(seriesOf(values)).toEqual(['keras-style', 'torch-style'])
    expect(values.filter((v) => v.series === 'keras-style').map((v) => [v.epoch, v.loss])).toEqual([
      [1, 100],
      [2, 10],
      [3, 1],
      [4, 0.1],
    ])
    expect(line.encoding.y.scale.type).toBe('log')
    expect(line.encoding.y.title).toBe('MSE loss (log scale)')
    expect(line.encoding.x.title).toBe('epoch')
    // One legend, colour and dash per backend in run order.
    expect(line.encoding.color.scale.domain).toEqual(['keras-style', 'torch-style'])
    expect(line.encoding.strokeDash.scale.range[0]).toEqual([1, 0])
    expect(line.encoding.strokeDash.scale.range[1]).not.toEqual([1, 0])
  })

  it('marks the epoch where the early-stopping run stopped', () => {
    const rule = layers(spec).find((l) => l.mark.type === 'rule')
    expect(rows(spec, rule)).toEqual([
      { series: 'keras-style', epoch: 3, loss: 1 },
      { series: 'torch-style', epoch: 3, loss: 1 },
    ])
    expect(layers(spec).some((l) => l.mark.shape === 'triangle-up')).toBe(true)
    expect((spec as Json).title.subtitle.join(' ')).toContain('early-stopping run stopped: epoch 3')
  })

  it('uses the early-stopping run without a refit, and skips non-positive or non-finite losses', () => {
    const es = trial('early-stopping', {
      history: { loss: [4, 0, Number.POSITIVE_INFINITY] },
      diverged: true,
    })
    const s = lossChart(group(result('a', { trials: [es] })))
    const values = rows(s, layers(s)[0])
    expect(values).toEqual([{ series: 'a', epoch: 1, loss: 4 }])
    expect(titleOf(s as Json)).toBe('mini: training loss per epoch')
  })

  it('is a fixed 720 x 360 view, legend and titles included', () => {
    expect(spec).toMatchObject({ width: 720, height: 360, autosize: { type: 'fit', contains: 'padding' } })
  })

  it('draws the lr per epoch under the loss when a run recorded one (a schedule), and renders', async () => {
    const scheduled = trial('refit', { history: { loss: [100, 10, 1, 0.1], lr: [0.1, 0.1, 0.01, 0.01] } })
    const s = lossChart(group(result('a', { trials: [scheduled] }))) as Json
    const [loss, lr] = s.vconcat as Json[]
    expect(rows(s, layers(loss)[0])).toHaveLength(4)
    expect(lr?.data.values).toEqual(
      [0.1, 0.1, 0.01, 0.01].map((v, i) => ({ series: 'a', epoch: i + 1, lr: v })),
    )
    expect(lr?.encoding.y.title).toBe('learning rate')
    expect(await renderSvg(s)).toContain('learning rate')
  })
})

describe('quality chart', () => {
  const tracked = (backend: string, error: number[], epochs: number | null, ms: number | null) =>
    result(backend, {
      trials: [
        trial('refit', {
          history: { loss: [100, 10, 1, 0.1], error },
          toQuality: epochs === null ? null : { epochs, steps: epochs * 7 },
          timings: { setupMs: 1, trainMs: 2, totalMs: 3, usPerStep: 95, toQualityMs: ms },
        }),
      ],
    })

  it("draws each backend's error at the report input per epoch, the tolerance and where it stays within", () => {
    const s = qualityChart(
      group(tracked('a', [5, 0.5, 0.005, 0.001], 3, 12.5), tracked('b', [5, 1, 0.1, 0.05], null, null)),
    )
    const line = layers(s).find((l) => l.mark.type === 'line')
    expect(
      rows(s, line)
        .filter((v) => v.series === 'a')
        .map((v) => v.error),
    ).toEqual([5, 0.5, 0.005, 0.001])
    expect(line.encoding.y.scale.type).toBe('log')
    expect(line.encoding.y.title).toBe('max |error| (ft, log)')
    const rule = layers(s).find((l) => l.mark.type === 'rule')
    expect(rows(s, rule)).toEqual([{ error: 0.01 }])
    const dot = layers(s).find((l) => l.mark.type === 'point')
    expect(rows(s, dot)).toEqual([{ series: 'a', epoch: 3, error: 0.005 }])
    expect((s as Json).title.subtitle.join(' ')).toBe(
      '● within 0.01 ft for good (time to quality): a: epoch 3, step 21; b: never (a 12.5 ms)',
    )
    expect(titleOf(s as Json)).toBe('mini: error at the report input per epoch')
  })

  it('is left out when no run tracked its error (no exact function)', () => {
    expect(qualityChart(group(result('a')))).toBeNull()
  })
})

describe('grid chart', () => {
  it('plots the CV score against a positive numeric grid on log-log axes, with the fold band', () => {
    const spec = gridChart(group(result('keras-style'), result('torch-style', { selected: 1 })))
    expect(spec).not.toBeNull()
    const ls = layers(spec)
    const line = ls.find((l) => l.mark.type === 'line')
    expect(line.encoding.x.scale.type).toBe('log')
    expect(line.encoding.y.scale.type).toBe('log')
    expect(line.encoding.x.field).toBe('x')
    expect(line.encoding.x.axis.values).toEqual([0.001, 0.01, 0.1])
    const band = ls.find((l) => l.mark.type === 'area')
    expect(band.encoding.y.field).toBe('lo')
    expect(band.encoding.y2.field).toBe('hi')
    const values = (spec as Json).data.values
    expect(seriesOf(values)).toEqual(['keras-style', 'torch-style'])
    expect(values[0]).toMatchObject({
      series: 'keras-style',
      x: 0.1,
      mean: 0.02,
      lo: 0.01,
      hi: 0.03,
      selected: true,
    })
    expect(values.filter((v: Json) => v.selected).map((v: Json) => [v.series, v.x])).toEqual([
      ['keras-style', 0.1],
      ['torch-style', 0.01],
    ])
    expect((spec as Json).title.text).toBe('mini: learning-rate grid')
  })

  it('leaves out diverged points and says so', () => {
    const r = result('a', {
      scores: [
        {
          point: 0,
          params: { 'optimizer.lr': 0.1 },
          mean: Number.POSITIVE_INFINITY,
          sd: 0,
          se: 0,
          tie: false,
          values: [1, Infinity],
        },
        { point: 1, params: { 'optimizer.lr': 0.01 }, mean: 2, sd: 1, se: 0, tie: false, values: [1, 2, 3] },
        { point: 2, params: { 'optimizer.lr': 0.001 }, mean: 3, sd: 1, se: 0, tie: false, values: [2, 3, 4] },
      ],
    })
    const spec = gridChart(group(r)) as Json
    expect(spec.data.values.map((v: Json) => v.x)).toEqual([0.01, 0.001])
    expect(spec.title.subtitle.join(' ')).toContain('diverged, not drawn: a at lr 0.1')
  })

  it('uses categories with error bars for a grid that is not one numeric key', () => {
    const r = result('a', { spec: { grid: { loss: ['mse', 'mae'] } } })
    const spec = gridChart(group(r)) as Json
    const point = spec.layer.find((l: Json) => l.mark.type === 'point')
    expect(point.encoding.x.type).toBe('nominal')
    expect(point.encoding.x.field).toBe('label')
    expect(spec.layer.find((l: Json) => l.mark.type === 'rule').encoding.y2.field).toBe('hi')
    expect(spec.data.values.map((v: Json) => v.label)).toEqual(['loss mse', 'loss mae'])
  })

  it('is left out for a grid of one point', () => {
    expect(gridChart(group(result('a', { spec: { grid: {} } })))).toBeNull()
  })
})

describe('predictions chart', () => {
  const data: DataPoints = {
    points: [
      [1, 3.28],
      [10, 32.8],
    ],
    source: 'builtin',
    rows: 2,
    exact: (x) => x * 3.28084,
  }

  it('draws the data, each backend as a curve from its weights and the exact function', () => {
    const spec = predictionChart(group(result('keras-style'), result('torch-style')), data, {
      samples: 10,
    }) as Json
    const [points, lines] = spec.layer
    expect(points.mark.type).toBe('point')
    expect(seriesOf(points.data.values)).toEqual(['data'])
    expect(seriesOf(lines.data.values)).toEqual(['keras-style', 'torch-style', 'exact function'])
    // The curve is the float64 forward pass of the saved weights: y = 3.28 x + 0.01.
    const first = lines.data.values[0]
    expect(first.y).toBeCloseTo(3.28 * first.x + 0.01, 12)
    expect(points.encoding.x.title).toBe('meters (m)')
    expect(points.encoding.y.title).toBe('feet (ft)')
    expect(points.encoding.color.scale.domain).toEqual([
      'keras-style',
      'torch-style',
      'exact function',
      'data',
    ])
  })

  it('falls back to the predicted inputs for the range when the data are not at hand', () => {
    const spec = predictionChart(
      group(result('a')),
      { points: [], source: 'none', rows: 0 },
      { samples: 4 },
    ) as Json
    const xs = spec.layer[0].data.values.map((v: Json) => v.x)
    expect(Math.min(...xs)).toBeLessThan(100)
    expect(Math.max(...xs)).toBeGreaterThan(100)
  })

  it('is left out for more than one input', () => {
    const r = result('a', { data: { columns: { x: ['a', 'b'], y: ['c'] }, units: { x: ['', ''], y: [''] } } })
    expect(predictionChart(group(r), data)).toBeNull()
  })

  it('gets built-in data again from the spec', async () => {
    const d = await dataPoints(result('a'))
    expect(d.source).toBe('builtin')
    expect(d.points).toHaveLength(7)
    expect(d.exact?.(100)).toBeCloseTo(328.084, 9)
  })

  it('takes a file dataset already loaded, only when it is the one the results name', async () => {
    const dataset = builtinDataset('meters-feet', 7)
    const spec = { dataset: { file: 'not-here.csv', x: ['meters'], y: ['feet'] } }
    const r = result('a', { spec, data: { sha256: dataHash(dataset) } })
    const d = await dataPoints(r, { dataset })
    expect(d.source).toBe('file')
    expect(d.points).toHaveLength(7)
    const other = await dataPoints(result('a', { spec }), { dataset })
    expect(other.source).toBe('none')
  })
})

describe('seed chart', () => {
  it('is left out with one seed', () => {
    expect(seedChart(group(result('a')))).toBeNull()
  })

  it("shows each seed's final prediction per backend, with the exact value", () => {
    const trials = [0, 1, 2].map((seed) =>
      trial('refit', { seed, predictions: [{ x: [100], y: [320 + seed], exact: [328.084] }] }),
    )
    const spec = seedChart(group(result('a', { spec: { seeds: [0, 1, 2] }, trials }))) as Json
    expect(spec.data.values).toEqual([
      { series: 'a', seed: 0, value: 320 },
      { series: 'a', seed: 1, value: 321 },
      { series: 'a', seed: 2, value: 322 },
    ])
    expect(spec.layer[0].mark.type).toBe('boxplot')
    expect(spec.layer[1].encoding.y.title).toBe('prediction at 100 m (ft)')
    expect(spec.layer[2].data.values[0].value).toBe(328.084)
  })

  it('shows the final loss on a log scale when there is nothing to predict', () => {
    const trials = [0, 1].map((seed) =>
      trial('refit', { seed, finalLoss: 0.1 * (seed + 1), predictions: [] }),
    )
    const spec = seedChart(
      group(result('a', { spec: { seeds: [0, 1], report: { predict: [] } }, trials })),
    ) as Json
    expect(spec.layer[1].encoding.y.scale.type).toBe('log')
    expect(spec.data.values.map((v: Json) => v.value)).toEqual([0.1, 0.2])
  })
})

describe('helpers', () => {
  it('lists the charts that apply, in order', () => {
    const kinds = chartsFor(group(result('a')), { points: [], source: 'none', rows: 0 }).map((c) => c.kind)
    expect(kinds).toEqual(['loss', 'grid', 'predictions'])
  })

  it('picks log ticks at decades, with 2 and 5 between on a short range', () => {
    expect(logTicks([0.3, 8])).toEqual([0.1, 0.2, 0.5, 1, 2, 5, 10])
    expect(logTicks([0.3, 40])).toEqual([0.1, 1, 10, 100])
    expect(logTicks([1e-12, 500])).toEqual([1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 0.01, 1, 100, 10000])
  })

  it('runs a network forward in float64', () => {
    const w = [
      { inputs: 1, units: 2, kernel: [1, -1], bias: [0, 0] },
      { inputs: 2, units: 1, kernel: [2, 3], bias: [1] },
    ]
    expect(
      forwardRow(
        {
          layers: [
            { units: 2, activation: 'relu' },
            { units: 1, activation: 'linear' },
          ],
          weights: w,
        },
        [2],
      ),
    ).toEqual([5])
    expect(
      forwardRow(
        {
          layers: [
            { units: 2, activation: 'tanh' },
            { units: 1, activation: 'linear' },
          ],
          weights: w,
        },
        [0.5],
      )[0],
    ).toBeCloseTo(1 + 2 * Math.tanh(0.5) + 3 * Math.tanh(-0.5), 14)
  })

  it('makes safe, unique file names', () => {
    expect(slug('<script>alert(1)</script>')).toBe('script-alert-1-script')
    expect(slug('../../etc/passwd')).toBe('etc-passwd')
    expect(slug('')).toBe('spec')
    expect(uniqueSlugs(['a', 'A', 'a'])).toEqual(['a', 'A-2', 'a-3'])
  })
})
