import { describe, expect, it } from 'vitest'
import { EarlyStopping, type EarlyStoppingRule } from '../src/index.js'

const rule = (r: Partial<EarlyStoppingRule>): EarlyStoppingRule => ({
  patience: 3,
  minDelta: 0,
  baseline: null,
  startFromEpoch: 0,
  ...r,
})

/** Feeds losses until the rule stops; returns the stop epoch (from 0) or null. */
function stopEpoch(r: EarlyStoppingRule | null, losses: number[]) {
  const es = new EarlyStopping(r)
  for (const [epoch, loss] of losses.entries()) if (es.update(epoch, loss).stop) return { epoch, es }
  return { epoch: null, es }
}

const flatAfter = (improving: number, total: number) =>
  Array.from({ length: total }, (_, i) => (i < improving ? 10 - i : 10 - improving + 1))

describe('early stopping (Keras 3 semantics)', () => {
  it.each([
    // name, rule, losses, expected stop epoch
    ['seed torch: patience 10, strict <', rule({ patience: 10 }), flatAfter(5, 40), 14],
    ['seed keras: patience 7, minDelta 1e-4', rule({ patience: 7, minDelta: 1e-4 }), flatAfter(3, 40), 9],
    // Improvements smaller than minDelta do not count: 1e-5 per epoch under minDelta 1e-4.
    [
      'tiny steps below minDelta',
      rule({ patience: 7, minDelta: 1e-4 }),
      Array.from({ length: 40 }, (_, i) => 1 - i * 1e-5),
      7,
    ],
    [
      'steady improvement never stops',
      rule({ patience: 2 }),
      Array.from({ length: 30 }, (_, i) => 30 - i),
      null,
    ],
    ['patience 0 stops at first miss', rule({ patience: 0 }), [3, 2, 2, 1], 2],
    // Epochs before startFromEpoch are not monitored at all.
    ['start from epoch 5', rule({ patience: 2, startFromEpoch: 5 }), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 7],
    // Improvements that do not beat the baseline keep the wait counter running.
    ['baseline not beaten', rule({ patience: 3, baseline: 0.5 }), [1, 0.9, 0.9, 0.9, 0.8, 0.8], 2],
    ['baseline beaten resets wait', rule({ patience: 3, baseline: 0.5 }), [1, 0.4, 0.4, 0.4, 0.4, 0.4], 4],
    ['NaN stops at once', rule({ patience: 100 }), [1, 0.5, Number.NaN, 0.1], 2],
    ['Infinity stops at once without a rule', null, [1, Number.POSITIVE_INFINITY, 0.1], 1],
    ['no rule never stops on finite losses', null, [1, 1, 1, 1, 1], null],
  ])('%s', (_name, r, losses, expected) => {
    expect(stopEpoch(r, losses).epoch).toBe(expected)
  })

  it('marks divergence and remembers the best epoch', () => {
    const { es } = stopEpoch(rule({ patience: 5 }), [3, 1, 2, Number.NaN])
    expect(es.diverged).toBe(true)
    expect(es.bestEpoch).toBe(1)
    expect(es.best).toBe(1)
  })

  it('asks for a snapshot exactly on improvements', () => {
    const es = new EarlyStopping(rule({ patience: 5, minDelta: 0.1 }))
    const snaps = [1, 0.95, 0.8, 0.85, 0.5].map((l, i) => es.update(i, l).snapshot)
    expect(snaps).toEqual([true, false, true, false, true])
  })
})
