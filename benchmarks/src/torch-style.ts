/**
 * torch-style: microseconds per optimizer step of the loop a user writes (zeroGrad, forward,
 * criterion, backward, step, item), Linear(1,1), MSE, Adam, on the seed data.
 * Each case reports the median over chunks of steps: these machines are noisy, a median of
 * chunks is stable where a single long run is not.
 */
import { builtinDataset } from '@dualfit/core'
import { defaultRuntime, nn, optim, type Tensor, tensor } from '@dualfit/torch-style'
import { STEP_CHUNKS, type StepMeasure } from './jobs.js'
import { median, min } from './stats.js'

const BATCHES = [7, 1]

async function measure(engine: string, batch: number, quick: boolean): Promise<StepMeasure> {
  const seed = builtinDataset('meters-feet')
  // The seed data cut into batches, visited in turn (batch 1 cycles through the 7 rows).
  const data: [Tensor, Tensor][] = []
  for (let i = 0; i + batch <= seed.n; i += batch) {
    data.push([
      tensor(seed.x.subarray(i, i + batch), [batch, 1]),
      tensor(seed.y.subarray(i, i + batch), [batch, 1]),
    ])
  }
  const model = new nn.Sequential(new nn.Linear(1, 1)).to(engine)
  const criterion = nn.MSELoss()
  const opt = new optim.Adam(model.parameters(), { lr: 0.01 })

  await defaultRuntime.release()
  const setupStart = performance.now()
  await criterion(model.forward(data[0]?.[0] as Tensor), data[0]?.[1] as Tensor).compile()
  const setupMs = performance.now() - setupStart

  let step = 0
  const run = async (steps: number) => {
    for (let i = 0; i < steps; i++, step++) {
      const [x, y] = data[step % data.length] as [Tensor, Tensor]
      opt.zeroGrad()
      const out = model.forward(x)
      const loss = criterion(out, y)
      await loss.backward()
      opt.step()
      loss.item()
    }
  }
  const { chunks, perChunk, warmUp } = STEP_CHUNKS[quick ? 'quick' : 'full']
  // Warm-up: V8 first runs JS and onnxruntime-web's wasm with baseline code and optimizes hot code
  // later; the first few thousand steps are slower, wasm's most.
  await run(warmUp)
  const us: number[] = []
  for (let c = 0; c < chunks; c++) {
    const t = performance.now()
    await run(perChunk)
    us.push(((performance.now() - t) * 1000) / perChunk)
  }
  return {
    key: `step/batch-${batch}/loop`,
    case: `Linear(1,1) Adam, batch ${batch}: zeroGrad/forward/backward/step`,
    batch,
    steps: chunks * perChunk,
    usPerStep: median(us),
    notes: `min ${min(us).toFixed(1)} µs; session build ${setupMs.toFixed(0)} ms`,
  }
}

/** `engine`: an available engine id the runner chose for the requested device. */
export async function bench(engine: string, opts: { quick: boolean }): Promise<StepMeasure[]> {
  const rows: StepMeasure[] = []
  for (const batch of BATCHES) rows.push(await measure(engine, batch, opts.quick))
  return rows
}
