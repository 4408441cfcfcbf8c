import { afterEach, describe, expect, it } from 'vitest'
import { type CheckOptions, checks } from '../src/index.js'
import { DoubleBackend, type Faults, live } from './double.js'

const made: DoubleBackend[] = []
afterEach(async () => {
  for (const b of made.splice(0)) await b.dispose()
})

function broken(faults: Faults): DoubleBackend {
  const b = new DoubleBackend(faults)
  made.push(b)
  return b
}

const opts: CheckOptions = { liveResources: () => live.handles, trials: 10 }

describe('the testkit fails a backend that breaks the contract, and says how', () => {
  it('(a) wrong gradient sign: both first-step checks', async () => {
    const b = broken({ flipGradient: true })
    await expect(checks.firstAdamStep(b, 'js', opts)).rejects.toThrow(
      /^first Adam step \(2-16-1 tanh, mse\): layer \d (kernel|bias)\[\d+\] is .+, the reference is .+ \(relative error .+\); the update goes the opposite way; is the gradient's sign flipped\?$/,
    )
    await expect(checks.firstSgdStep(b, 'js', opts)).rejects.toThrow(/first SGD step .*sign flipped/)
  })

  it('ignores an abort (Ctrl-C)', async () => {
    await expect(checks.abortsWhenAsked(broken({ ignoreAbort: true }), 'js', opts)).rejects.toThrow(
      'abort: train() resolved although hooks.signal was aborted at epoch 1; it must reject with signal.reason',
    )
  })

  it('(b) ignores the stop signal', async () => {
    await expect(checks.stopsWhenTold(broken({ ignoreStop: true }), 'js', opts)).rejects.toThrow(
      'stop: kept training after stop at epoch 2: onEpochEnd was called for epochs 0, 1, 2, 3, 4, 5, 6, 7, 8, 9',
    )
  })

  it('(c) leaks a timer per trial, and a handle its liveResources counts', async () => {
    await expect(checks.noLeaks(broken({ leakTimer: true }), 'js', opts)).rejects.toThrow(
      /^leaks: after 10 train\+predict trials, process.getActiveResourcesInfo\(\) grew from \d+ to \d+ \(Timeout \d+ -> \d+\)/,
    )
    const start = live.handles
    await expect(checks.noLeaks(broken({ leakHandle: true }), 'js', opts)).rejects.toThrow(
      `leaks: after 10 train+predict trials, liveResources() grew from ${start + 1} to ${start + 10} (about 1.0 a trial)`,
    )
  })

  it('(d) ignores the batch order', async () => {
    await expect(checks.batchOrder(broken({ ignoreOrder: true }), 'js', opts)).rejects.toThrow(
      /^batch order: the weights match visiting rows in index order \[0, 1, 2, 3, 4\]: the order was not followed \(job.order was never called\); the reference visits order\(0\) = \[3, 4, 2, 1, 0\]/,
    )
  })

  it('reports the loss after the update', async () => {
    await expect(checks.firstAdamStep(broken({ lossAfterUpdate: true }), 'js', opts)).rejects.toThrow(
      /the loss passed to onEpochEnd is .*; that is the loss after the update, report the loss before it$/,
    )
  })

  it('is not deterministic', async () => {
    await expect(checks.deterministic(broken({ nondeterministic: true }), 'js', opts)).rejects.toThrow(
      /^determinism: the same job twice gave different weights: layer 0 kernel\[0\] is \S+ then \S+$/,
    )
  })

  it('reads kernels in the wrong layout when predicting', async () => {
    await expect(checks.predicts(broken({ transposedPredict: true }), 'js', opts)).rejects.toThrow(
      /^predict \(2-3 linear-1\): row \d output 0 is .*; it reads kernels as \[units, inputs\]/,
    )
  })

  it('accepts x that is not whole rows', async () => {
    await expect(checks.rejectsBadInput(broken({ acceptsRaggedX: true }), 'js', opts)).rejects.toThrow(
      'predict() accepted x with 5 values for rows of 2 inputs (it returned 2 values); it must reject',
    )
  })

  it("declares PyTorch's epsilon placement but steps in Keras' form", async () => {
    await expect(checks.declaresSettings(broken({ stepsEpsHat: true }), 'js', opts)).rejects.toThrow(
      /^settings: declares epsilon placement 'sqrt\(v_hat\) \+ eps' but the steps follow 'sqrt\(v\) \+ eps_hat' \(2 Adam steps with eps 0.5: layer \d (kernel|bias)\[\d+\] is .+, with 'sqrt\(v_hat\) \+ eps' the reference is .+\)$/,
    )
  })

  it('declares a default eps it does not use', async () => {
    await expect(checks.declaresSettings(broken({ declaresDefaultEps: 1e-7 }), 'js', opts)).rejects.toThrow(
      /^settings: the declared default epsilon.value '1e-7' does not reproduce 1 Adam step with eps null on a gradient of 1.2e-7: layer 0 bias\[0\] is .+; the step implies eps 1.0e-8$/,
    )
  })

  it('describes its own initializer although the job gives the weights', async () => {
    await expect(checks.declaresSettings(broken({ declaresOwnInit: true }), 'js', opts)).rejects.toThrow(
      `settings: job.initialWeights is given, but settings().initializer is "uniform(-0.5, 0.5) kernel and bias, seeded", not 'given'`,
    )
  })

  it("returns live buffers from the epoch's weights getter", async () => {
    await expect(checks.tracksWeights(broken({ liveEpochWeights: true }), 'js', opts)).rejects.toThrow(
      /^epoch weights: the weights weights\(\) returned at epoch 0 changed after onEpochEnd returned \(layer 0 kernel\[0\] is \S+ then \S+\); return copies, not buffers that later steps update$/,
    )
  })

  it("returns the epoch's starting weights from the getter", async () => {
    await expect(checks.tracksWeights(broken({ epochStartWeights: true }), 'js', opts)).rejects.toThrow(
      /^epoch weights: weights\(\) at epoch 0 are not the weights after that epoch's last step: .*; they are the epoch's starting weights$/,
    )
  })

  it('loses optimizer state when the getter is called', async () => {
    await expect(checks.tracksWeights(broken({ getterResetsState: true }), 'js', opts)).rejects.toThrow(
      /^epoch weights: calling weights\(\) at every epoch changed the final weights \(layer \d (kernel|bias)\[\d+\] is \S+ then \S+, with the calls then without\); weights\(\) must only copy the weights, not change training$/,
    )
  })

  it('clips probabilities from logits although it declares no clip', async () => {
    await expect(checks.declaresSettings(broken({ clipsLogits: true }), 'js', opts)).rejects.toThrow(
      /^settings \(cross_entropy, fromLogits true\): declares probabilities.clip 'none' but the steps follow '\[1e-7, 0.9999999\]' \(1 SGD step with a row whose label's probability is 2e-9: layer 0 (kernel|bias)\[\d\] is .+\)$/,
    )
  })

  it('declares the Keras clip but never clips', async () => {
    await expect(checks.declaresSettings(broken({ neverClips: true }), 'js', opts)).rejects.toThrow(
      /^settings \(cross_entropy, fromLogits false\): declares probabilities.clip '\[1e-7, 0.9999999\]' but the steps follow 'none'/,
    )
  })

  it('a classification gradient with the wrong sign fails the classification steps', async () => {
    await expect(checks.classificationSteps(broken({ flipGradient: true }), 'js', opts)).rejects.toThrow(
      /^SGD steps \(2-4 tanh-3 linear, cross_entropy fromLogits true\): epoch 0 loss is/,
    )
  })

  it("steps RMSprop with sqrt(v) + eps while declaring Keras' sqrt(v + eps)", async () => {
    await expect(checks.optimizerSteps(broken({ rootEpsOutside: true }), 'js', opts)).rejects.toThrow(
      /^rmsprop eps 0.1, init 'keras': epoch 0 loss is .+; settings\(\) declare rootEpsilon.placement 'sqrt\(v \+ eps\)' but the steps follow 'sqrt\(v\) \+ eps'$/,
    )
  })

  it("keeps PyTorch's momentum form while declaring Keras'; the schedule shows it", async () => {
    await expect(checks.optimizerSteps(broken({ torchMomentum: true }), 'js', opts)).rejects.toThrow(
      /^sgd nesterov momentum 0.9, lr halved each epoch, init 'keras': epoch 1 loss .+; settings\(\) declare momentum.form 'v = m v - lr g; w \+= v' but the steps follow 'v = m v \+ g; w -= lr v'$/,
    )
  })

  it('adds weight decay to the gradient while declaring it decoupled', async () => {
    await expect(checks.optimizerSteps(broken({ gradientDecay: true }), 'js', opts)).rejects.toThrow(
      /^sgd momentum 0.9, weightDecay 0.1, init 'keras': .+; settings\(\) declare weightDecay.form 'decoupled' but the steps follow 'gradient'$/,
    )
  })

  it("applies and declares PyTorch's formulas whatever the job's convention", async () => {
    await expect(checks.optimizerSteps(broken({ ignoresFormula: true }), 'js', opts)).rejects.toThrow(
      `sgd momentum 0.9, weightDecay 0.1, init 'keras': settings().optimizer.momentum is {"value":0.9,"form":"v = m v + g; w -= lr v","nesterov":false}; under init 'keras' it must be {"value":0.9,"form":"v = m v - lr g; w += v","nesterov":false}`,
    )
  })

  it("under init 'framework', declares a rho it does not apply", async () => {
    await expect(checks.frameworkOptimizers(broken({ declaresRho: 0.9 }), 'js', opts)).rejects.toThrow(
      /^rmsprop eps 0.1, init 'framework': .+; settings\(\) declare rho 0.9 but the steps follow rho 0.99$/,
    )
  })

  it("schedules in PyTorch's semantics while declaring Keras'", async () => {
    await expect(checks.schedules(broken({ torchSchedules: true }), 'js', opts)).rejects.toThrow(
      /^cosine schedule, init 'keras': epoch 4 reports lr 0.0324.*, the reference is 0.01 .+; settings\(\) declare schedule semantics 'keras' but the lr follows 'torch'$/,
    )
  })

  it('leaves l2 out of the reported loss, or out of the gradient', async () => {
    await expect(checks.l2Penalty(broken({ l2NotInLoss: true }), 'js', opts)).rejects.toThrow(
      /^l2 0.0625 and 0.125 on a 2-16-1 tanh net, sgd, init 'torch': epoch 0 loss .+; the loss leaves out the penalty: report λ Σ kernel² in it, as Keras does$/,
    )
    await expect(checks.l2Penalty(broken({ l2NotInGradient: true }), 'js', opts)).rejects.toThrow(
      /; the weights match training without l2: add 2 λ kernel to each kernel gradient$/,
    )
  })

  it('passes every check when nothing is broken (the same checks describeBackend runs)', async () => {
    const b = broken({})
    for (const check of Object.values(checks)) await check(b, 'js', opts)
  })
})
