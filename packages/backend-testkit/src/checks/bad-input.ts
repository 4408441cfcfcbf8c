/** 8. Bad input must fail loudly, not produce numbers from misaligned rows. */
import type { TrainedModel } from '@dualfit/core'
import { fail, messageOf } from '../assertions.js'
import { DATA, LINEAR_NET, makeJob, recorder, weightsFor } from '../fixtures.js'
import type { Check } from './check.js'

const NO_SUCH_ENGINE = 'testkit-no-such-engine'

async function outcome(
  run: () => Promise<unknown>,
): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await run() }
  } catch (error) {
    return { ok: false, error }
  }
}

export const rejectsBadInput: Check = async (backend, engine) => {
  const model: TrainedModel = { inputs: DATA.inputs, layers: LINEAR_NET, weights: weightsFor(LINEAR_NET) }
  const ragged = await outcome(() => backend.predict(model, new Float32Array(5), engine))
  if (ragged.ok)
    fail(
      `predict() accepted x with 5 values for rows of ${model.inputs} inputs (it returned ${(ragged.value as ArrayLike<number>)?.length} values); it must reject`,
    )
  const text = messageOf(ragged.error)
  if (!(ragged.error instanceof Error) || !/\bx\b|\brows?\b/i.test(text))
    fail(
      `predict() rejected x with 5 values for rows of ${model.inputs} inputs, but with "${text}", which names neither x nor rows; say what is wrong with the input`,
    )
  const offered = backend.engines.map((e) => e.id).join(', ')
  const predicted = await outcome(() => backend.predict(model, DATA.x, NO_SUCH_ENGINE))
  if (predicted.ok)
    fail(
      `predict() on engine '${NO_SUCH_ENGINE}', which it does not offer (it offers ${offered}), resolved instead of rejecting`,
    )
  const trained = await outcome(() => backend.train(makeJob(NO_SUCH_ENGINE, {}), recorder().hooks))
  if (trained.ok)
    fail(
      `train() on engine '${NO_SUCH_ENGINE}', which it does not offer (it offers ${offered}), resolved instead of rejecting`,
    )
}
