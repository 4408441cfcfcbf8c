import { FORMULAS, type LayerSpec, type LossSpec, resolveSchedule, scheduledLr } from '@dualfit/core'
import { describe, expect, it } from 'vitest'
import {
  ADAM,
  CLASSIFICATION_CASES,
  DATA,
  HUBER,
  IN_ORDER,
  L2_NET,
  LINEAR_NET,
  MAE,
  MSE,
  OPTIMIZER_CASES,
  optimizerOf,
  SATURATED,
  SATURATED_BINARY,
  SATURATED_WEIGHTS,
  SCHEDULE_CASES,
  SCHEDULE_LR,
  SGD,
  SGD_MOMENTUM,
  SHUFFLED,
  TANH_NET,
  weightsFor,
} from '../src/fixtures.js'
import {
  conventionFormula,
  referenceForward,
  referenceGradients,
  referenceLoss,
  referenceStep,
  referenceTrain,
  relativeError,
  TORCH_FORMULA,
  type Weights64,
} from '../src/reference.js'

const EPS_HAT = { formula: { ...TORCH_FORMULA, adamEpsilon: 'sqrt(v) + eps_hat' as const } }

const ACTS: LayerSpec['activation'][] = ['linear', 'relu', 'tanh', 'sigmoid']

/** Central differences of the float64 loss, one weight at a time. */
function numeric(layers: LayerSpec[], loss: LossSpec, h = 1e-6, data = DATA): Weights64[] {
  const weights = weightsFor(layers).map((w) => ({
    ...w,
    kernel: Float64Array.from(w.kernel),
    bias: Float64Array.from(w.bias),
  }))
  const f = () => referenceGradients({ inputs: 2, layers, weights }, loss, data.x, data.y).loss
  return weights.map((w) => {
    const diff = (t: Float64Array) =>
      t.map((v, i) => {
        t[i] = v + h
        const up = f()
        t[i] = v - h
        const down = f()
        t[i] = v
        return (up - down) / (2 * h)
      })
    return { ...w, kernel: diff(w.kernel), bias: diff(w.bias) }
  })
}

describe('reference', () => {
  for (const activation of ACTS)
    for (const loss of [MSE, MAE, HUBER])
      it(`backpropagation matches finite differences: 2-3 ${activation}-1, ${loss.name}`, () => {
        const layers: LayerSpec[] = [
          { units: 3, activation },
          { units: 1, activation: 'linear' },
        ]
        const { grads } = referenceGradients(
          { inputs: 2, layers, weights: weightsFor(layers) },
          loss,
          DATA.x,
          DATA.y,
        )
        numeric(layers, loss).forEach((n, k) => {
          expect(relativeError(grads[k]?.kernel ?? [], n.kernel)).toBeLessThan(1e-6)
          expect(relativeError(grads[k]?.bias ?? [], n.bias)).toBeLessThan(1e-6)
        })
      })

  for (const c of CLASSIFICATION_CASES)
    it(`backpropagation matches finite differences: ${c.label}`, () => {
      const { grads } = referenceGradients(
        { inputs: 2, layers: c.layers, weights: weightsFor(c.layers) },
        c.loss,
        c.data.x,
        c.data.y,
      )
      numeric(c.layers, c.loss, 1e-6, c.data).forEach((n, k) => {
        expect(relativeError(grads[k]?.kernel ?? [], n.kernel)).toBeLessThan(1e-6)
        expect(relativeError(grads[k]?.bias ?? [], n.bias)).toBeLessThan(1e-6)
      })
    })

  it('cross entropy from logits is logsumexp(z) - z[y]; from probabilities the same, clipped', () => {
    const model = {
      inputs: 1,
      layers: [{ units: 2, activation: 'linear' as const }],
      weights: [{ kernel: [1, -1], bias: [0, 0] }],
    }
    const ce = CLASSIFICATION_CASES[0]?.loss as LossSpec
    // x = 2: z = (2, -2), label 1: log(e^2 + e^-2) + 2.
    expect(referenceLoss(ce, referenceForward(model, [2]), [1])).toBeCloseTo(
      Math.log(Math.exp(2) + Math.exp(-2)) + 2,
      12,
    )
    // Probabilities (0.25, 0.75) sum to 1; p 1e-9 is clipped to 1e-7, and its gradient vanishes.
    const probs = { ...ce, fromLogits: false }
    expect(referenceLoss(probs, [0.25, 0.75], [0])).toBeCloseTo(-Math.log(0.25), 12)
    expect(referenceLoss(probs, [1 - 1e-9, 1e-9], [1])).toBeCloseTo(-Math.log(1e-7), 12)
    expect(referenceLoss({ ...probs, clip: null }, [1 - 1e-9, 1e-9], [1])).toBeCloseTo(-Math.log(1e-9), 9)
    const saturated = {
      inputs: 1,
      layers: [{ units: 2, activation: 'softmax' as const }],
      weights: [{ kernel: [20, 0], bias: [0, 0] }],
    }
    const grads = (clip: [number, number] | null | undefined) =>
      Array.from(referenceGradients(saturated, { ...probs, clip }, [1], [1]).grads[0]?.kernel ?? [])
    expect(grads(undefined)).toEqual([0, 0])
    expect(grads(null)[0]).toBeCloseTo(1, 6)
  })

  it('binary cross entropy from logits is stable at large |z|', () => {
    const bce = CLASSIFICATION_CASES[2]?.loss as LossSpec
    expect(bce.name).toBe('binary_cross_entropy')
    // z = 40, t = 0: max(z, 0) - 0 + log(1 + e^-40) = 40 (a naive -log(1 - sigmoid(z)) is infinite).
    expect(referenceLoss(bce, [40], [0])).toBeCloseTo(40, 12)
    expect(referenceLoss(bce, [-3], [0])).toBeCloseTo(Math.log1p(Math.exp(-3)), 12)
  })

  it('forward reads kernels as [inputs, units] row-major', () => {
    const model = {
      inputs: 2,
      layers: [{ units: 2, activation: 'linear' as const }],
      weights: [{ kernel: [1, 2, 3, 4], bias: [0.5, -0.5] }],
    }
    // y0 = 1*x0 + 3*x1 + 0.5, y1 = 2*x0 + 4*x1 - 0.5
    expect(Array.from(referenceForward(model, [1, 1, 2, 0]))).toEqual([4.5, 5.5, 2.5, 3.5])
  })

  it('Adam and SGD follow PyTorch: first Adam step is lr * g / (|g| + eps); SGD momentum starts at g', () => {
    const model = { inputs: 1, layers: LINEAR_NET, weights: [{ kernel: [0.5], bias: [0] }] }
    const [x, y] = [[2], [3]]
    // pred 1, d = -2, mse gradient: dk = 2 * d * x = -8, db = 2 * d = -4.
    const adam = referenceStep(model, MSE, ADAM, x, y)
    expect(adam.weights[0]?.kernel[0]).toBeCloseTo(0.5 + (0.01 * 8) / (8 + 1e-8), 12)
    const sgd1 = referenceStep(model, MSE, SGD_MOMENTUM, x, y)
    expect(sgd1.weights[0]?.kernel[0]).toBeCloseTo(0.5 + 0.05 * 8, 12)
    // Second step: buf = 0.9 * (-8) + g2, where g2 comes from the new weights.
    const next = { ...model, weights: sgd1.weights }
    const g2 = referenceGradients(next, MSE, x, y).grads[0]?.kernel[0] as number
    const sgd2 = referenceStep(next, MSE, SGD_MOMENTUM, x, y, sgd1.state)
    expect(sgd2.weights[0]?.kernel[0]).toBeCloseTo(0.9 - 0.05 * (0.9 * -8 + g2), 12)
  })

  it("Keras' eps-hat Adam: sqrt(1 - beta2^t) folded into the step, so it is PyTorch's with eps / sqrt(1 - beta2^t)", () => {
    const model = { inputs: 1, layers: LINEAR_NET, weights: [{ kernel: [0.5], bias: [0] }] }
    const [x, y] = [[2], [3]]
    const adam = { ...ADAM, eps: 0.5 }
    const hat = referenceStep(model, MSE, adam, x, y, undefined, EPS_HAT)
    // First step, g = -8: lr * sqrt(1 - beta2) * 8 / (sqrt(1 - beta2) * 8 + eps).
    const c = Math.sqrt(1 - 0.999)
    expect(hat.weights[0]?.kernel[0]).toBeCloseTo(0.5 + (0.01 * c * 8) / (c * 8 + 0.5), 12)
    const next = { ...model, weights: hat.weights }
    const second = referenceStep(next, MSE, adam, x, y, hat.state, EPS_HAT)
    const torch = referenceStep(next, MSE, { ...adam, eps: 0.5 / Math.sqrt(1 - 0.999 ** 2) }, x, y, hat.state)
    expect(second.weights[0]?.kernel[0]).toBeCloseTo(torch.weights[0]?.kernel[0] as number, 12)
  })

  it('the epoch loss is each batch loss before its update, weighted by batch size', () => {
    const job = {
      model: { inputs: 2, layers: LINEAR_NET },
      loss: MSE,
      optimizer: SGD,
      epochs: 1,
      batchSize: 2,
      data: DATA,
    }
    const run = referenceTrain({ ...job, initialWeights: weightsFor(LINEAR_NET), order: IN_ORDER })
    expect(run.steps).toBe(3)
    let weights: Weights64[] = referenceTrain({
      ...job,
      epochs: 0,
      initialWeights: weightsFor(LINEAR_NET),
      order: IN_ORDER,
    }).weights
    let state: Parameters<typeof referenceStep>[5]
    let sum = 0
    for (const [from, to] of [
      [0, 2],
      [2, 4],
      [4, 5],
    ] as const) {
      const step = referenceStep(
        { ...job.model, weights },
        MSE,
        SGD,
        DATA.x.subarray(2 * from, 2 * to),
        DATA.y.subarray(from, to),
        state,
      )
      sum += step.loss * (to - from)
      ;({ weights, state } = step)
    }
    expect(run.losses[0]).toBeCloseTo(sum / 5, 12)
    expect(relativeError(run.weights[0]?.kernel ?? [], weights[0]?.kernel ?? [])).toBe(0)
  })
})

describe('reference: the optimizer family', () => {
  const model = { inputs: 1, layers: LINEAR_NET, weights: [{ kernel: [0.5], bias: [0] }] }
  const [x, y] = [[2], [3]]
  // pred 1: the kernel's gradient is g = -8 (see the Adam test above).
  const kernel = (o: Parameters<typeof optimizerOf>[0], init: 'keras' | 'torch') =>
    referenceStep(model, MSE, optimizerOf(o, init), x, y).weights[0]?.kernel[0] as number

  it("RMSprop's and Adagrad's eps: PyTorch's sqrt(v) + eps, Keras' sqrt(v + eps); the defaults of rho and the accumulator", () => {
    const rms = { name: 'rmsprop', lr: 0.01, eps: 0.5 } as const
    // rho: PyTorch 0.99, Keras 0.9.
    expect(kernel(rms, 'torch')).toBeCloseTo(0.5 + (0.01 * 8) / (Math.sqrt(0.01 * 64) + 0.5), 12)
    expect(kernel(rms, 'keras')).toBeCloseTo(0.5 + (0.01 * 8) / Math.sqrt(0.1 * 64 + 0.5), 12)
    const ada = { name: 'adagrad', lr: 0.01, eps: 0.5 } as const
    // accumulator: PyTorch 0, Keras 0.1.
    expect(kernel(ada, 'torch')).toBeCloseTo(0.5 + (0.01 * 8) / (8 + 0.5), 12)
    expect(kernel(ada, 'keras')).toBeCloseTo(0.5 + (0.01 * 8) / Math.sqrt(0.1 + 64 + 0.5), 12)
  })

  it('AdamW decays first; Adam decays in the gradient under torch, decoupled under keras', () => {
    const adamw = { name: 'adamw', lr: 0.01, eps: 0, weightDecay: 0.5 } as const
    // Adam's first step is lr sign(g) with eps 0.
    expect(kernel(adamw, 'torch')).toBeCloseTo(0.5 * (1 - 0.005) + 0.01, 12)
    expect(kernel({ ...adamw, name: 'adam' }, 'keras')).toBeCloseTo(0.5 * (1 - 0.005) + 0.01, 12)
    // torch: g = -8 + 0.25 is still negative, so the step is still +lr, without the decay.
    expect(kernel({ ...adamw, name: 'adam' }, 'torch')).toBeCloseTo(0.5 + 0.01, 12)
  })

  it("SGD momentum: PyTorch's and Keras' forms agree at a constant lr and part once it changes", () => {
    const o = optimizerOf({ name: 'sgd', lr: 0.1, eps: 0.1, momentum: 0.9, nesterov: true }, 'torch')
    const run = (momentum: typeof FORMULAS.torch.momentum, lr2: number) => {
      const formula = { ...TORCH_FORMULA, momentum }
      const one = referenceStep(model, MSE, o, x, y, undefined, { formula })
      return referenceStep({ ...model, weights: one.weights }, MSE, o, x, y, one.state, { formula, lr: lr2 })
        .weights
    }
    const [torch, keras] = [FORMULAS.torch.momentum, FORMULAS.keras.momentum]
    expect(relativeError(run(torch, 0.1)[0]?.kernel ?? [], run(keras, 0.1)[0]?.kernel ?? [])).toBeLessThan(
      1e-12,
    )
    expect(
      relativeError(run(torch, 0.05)[0]?.kernel ?? [], run(keras, 0.05)[0]?.kernel ?? []),
    ).toBeGreaterThan(1e-2)
  })

  it("tfjs' RMSprop keeps lr inside its momentum, as Keras does; its SGD momentum is PyTorch's", () => {
    expect(conventionFormula('rmsprop', FORMULAS.tfjs).momentum).toBe(FORMULAS.keras.momentum)
    expect(conventionFormula('sgd', FORMULAS.tfjs).momentum).toBe(FORMULAS.torch.momentum)
  })

  it('l2: the penalty is in the loss, and its gradient matches finite differences', () => {
    const { grads, loss } = referenceGradients(
      { inputs: 2, layers: L2_NET, weights: weightsFor(L2_NET) },
      MSE,
      DATA.x,
      DATA.y,
    )
    const plain = referenceGradients(
      { inputs: 2, layers: TANH_NET, weights: weightsFor(L2_NET) },
      MSE,
      DATA.x,
      DATA.y,
    )
    expect(loss).toBeGreaterThan(plain.loss + 1e-2)
    numeric(L2_NET, MSE).forEach((n, k) => {
      expect(relativeError(grads[k]?.kernel ?? [], n.kernel)).toBeLessThan(1e-6)
      expect(relativeError(grads[k]?.bias ?? [], n.bias)).toBeLessThan(1e-6)
    })
  })
})

describe('fixtures', () => {
  it("every optimizer case's conventions part by far more than any tolerance, so a wrong formula shows", () => {
    for (const c of OPTIMIZER_CASES) {
      const run = (init: 'keras' | 'torch' | 'tfjs') =>
        referenceTrain({
          model: { inputs: 2, layers: TANH_NET },
          loss: MSE,
          optimizer: optimizerOf(c.optimizer, init),
          schedule: resolveSchedule(c.schedule, init),
          epochs: 2,
          batchSize: 2,
          data: DATA,
          initialWeights: weightsFor(TANH_NET),
          order: SHUFFLED,
        }).weights
      const [keras, torch, tfjs] = [run('keras'), run('torch'), run('tfjs')]
      const apart = (a: Weights64[], b: Weights64[]) =>
        Math.max(
          ...a.flatMap((w, k) => [
            relativeError(w.kernel, b[k]?.kernel ?? []),
            relativeError(w.bias, b[k]?.bias ?? []),
          ]),
        )
      expect(apart(keras, torch), c.label).toBeGreaterThan(1e-3)
      // tfjs shares some formulas with each (Keras' root eps and decay, PyTorch's Adam eps and SGD momentum).
      expect(Math.max(apart(tfjs, keras), apart(tfjs, torch)), c.label).toBeGreaterThan(1e-3)
    }
  })

  it("schedules: Keras' and PyTorch's lr differ for cosine and plateau, and no plateau decision is near its threshold", () => {
    for (const s of SCHEDULE_CASES) {
      const run = (semantics: 'keras' | 'torch') =>
        referenceTrain({
          model: { inputs: 2, layers: LINEAR_NET },
          loss: MSE,
          optimizer: optimizerOf({ name: 'sgd', lr: SCHEDULE_LR, eps: 1e-7 }, semantics),
          schedule: { ...s, semantics },
          epochs: 7,
          batchSize: DATA.n,
          data: DATA,
          initialWeights: weightsFor(LINEAR_NET),
          order: IN_ORDER,
        })
      const [keras, torch] = [run('keras'), run('torch')]
      expect(keras.lrs.join() === torch.lrs.join(), s.name).toBe(
        s.name === 'step' || s.name === 'exponential',
      )
      if (s.name !== 'plateau') continue
      for (const r of [keras, torch]) {
        // Each loss against best - threshold (Keras) and best (1 - threshold) (PyTorch): far apart.
        r.losses.forEach((loss, e) => {
          const best = Math.min(...r.losses.slice(0, e))
          if (e > 0) {
            expect(Math.abs(loss - (best - s.threshold)) / loss).toBeGreaterThan(1e-3)
            expect(Math.abs(loss - best * (1 - s.threshold)) / loss).toBeGreaterThan(1e-3)
          }
        })
        expect(scheduledLr(SCHEDULE_LR, s, r === keras ? 'keras' : 'torch', r.losses)).toEqual(r.lrs)
      }
    }
  })

  // Keras' Adam puts eps ~30x larger in effect; with every |g| far above that, either form passes.
  it('the clip fixture: row 0 is far outside the clip, the others inside, for every classification loss', () => {
    for (const c of CLASSIFICATION_CASES) {
      const binary = c.loss.name === 'binary_cross_entropy'
      const layers = [{ units: binary ? 1 : 3, activation: c.layers[1]?.activation ?? 'linear' }]
      const model = { inputs: 2, layers, weights: [SATURATED_WEIGHTS[c.loss.name as 'cross_entropy']] }
      const data = binary ? SATURATED_BINARY : SATURATED
      const row = (r: number) => ({ x: data.x.subarray(2 * r, 2 * r + 2), y: data.y.subarray(r, r + 1) })
      const lossOf = (r: number, clip: [number, number] | null) =>
        referenceLoss({ ...c.loss, clip }, referenceForward(model, row(r).x), row(r).y)
      // -log(p) of row 0 is about 20 (p ~ 2e-9) without a clip, -log(1e-7) with it.
      expect(lossOf(0, null), c.label).toBeGreaterThan(19.9)
      expect(lossOf(0, [1e-7, 1 - 1e-7]), c.label).toBeCloseTo(-Math.log(1e-7), 9)
      for (const r of [1, 2]) expect(lossOf(r, [1e-7, 1 - 1e-7]), c.label).toBeCloseTo(lossOf(r, null), 12)
    }
  })

  it('every first-step gradient is far from zero, so the eps form does not matter', () => {
    for (const layers of [TANH_NET, LINEAR_NET])
      for (const loss of [MSE, MAE, HUBER]) {
        const { grads } = referenceGradients(
          { inputs: 2, layers, weights: weightsFor(layers) },
          loss,
          DATA.x,
          DATA.y,
        )
        const min = Math.min(...grads.flatMap((g) => [...g.kernel, ...g.bias].map(Math.abs)))
        expect(min, `${layers.length} layer(s), ${loss.name}`).toBeGreaterThan(4e-3)
      }
  })

  it('the shuffled order differs from index order and between epochs, by far more than any tolerance', () => {
    expect(Array.from(SHUFFLED(0))).not.toEqual(Array.from(IN_ORDER(0)))
    expect(Array.from(SHUFFLED(1))).not.toEqual(Array.from(SHUFFLED(0)))
    const job = {
      model: { inputs: 2, layers: TANH_NET },
      loss: MSE,
      optimizer: SGD,
      epochs: 2,
      batchSize: 2,
      data: DATA,
    }
    const run = (order: (e: number) => Uint32Array) =>
      referenceTrain({ ...job, initialWeights: weightsFor(TANH_NET), order }).weights
    const a = run(SHUFFLED)
    for (const other of [run(IN_ORDER), run(() => SHUFFLED(0))])
      expect(relativeError(other[0]?.kernel ?? [], a[0]?.kernel ?? [])).toBeGreaterThan(1e-2)
  })
})
