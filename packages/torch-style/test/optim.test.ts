import { builtinDataset } from '@dualfit/core'
import { afterAll, describe, expect, it } from 'vitest'
import { defaultRuntime, nn, optim, tensor } from '../src/index.js'

afterAll(() => defaultRuntime.release())

const seed = builtinDataset('meters-feet')
const xs = Array.from(seed.x)
const ys = Array.from(seed.y)

/** MSE gradient of y = w x + b on the seed data, in float64. */
function grads64(w: number, b: number): [number, number] {
  let gw = 0
  let gb = 0
  xs.forEach((x, i) => {
    const d = w * x + b - (ys[i] as number)
    gw += (2 * d * x) / xs.length
    gb += (2 * d) / xs.length
  })
  return [gw, gb]
}

/** Linear(1, 1) from fixed weights, trained `steps` full-batch steps through the public loop. */
async function run(
  engine: string,
  makeOpt: (p: nn.Module) => optim.Optimizer,
  steps: number,
  w0 = 0.5,
  b0 = -0.25,
) {
  const linear = new nn.Linear(1, 1)
  linear.weight.data.set([w0])
  linear.bias.data.set([b0])
  const model = new nn.Sequential(linear).to(engine)
  const criterion = nn.MSELoss()
  const opt = makeOpt(model)
  const x = tensor(xs, [7, 1])
  const y = tensor(ys, [7, 1])
  const losses: number[] = []
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad()
    const out = model.forward(x)
    const loss = criterion(out, y)
    await loss.backward()
    opt.step()
    losses.push(loss.item())
  }
  return { w: linear.weight.data[0] as number, b: linear.bias.data[0] as number, losses }
}

describe.each(['cpu', 'wasm'])('optimizers on %s', (engine) => {
  it('one Adam step on the seed data matches the float64 hand computation', async () => {
    const lr = 0.1
    const eps = 1e-8
    const got = await run(engine, (m) => new optim.Adam(m.parameters(), { lr, eps }), 1)
    // Step 1: m = (1 - b1) g, v = (1 - b2) g^2; bias correction gives m_hat = g, v_hat = g^2.
    const [w, b] = [0.5, -0.25].map((p, i) => {
      const g = grads64(0.5, -0.25)[i] as number
      const m = 0.1 * g
      const v = 0.001 * g * g
      return p - ((lr / (1 - 0.9)) * m) / (Math.sqrt(v) / Math.sqrt(1 - 0.999) + eps)
    }) as [number, number]
    expect(Math.abs(got.w - w) / Math.abs(w)).toBeLessThanOrEqual(1e-6)
    expect(Math.abs(got.b - b) / Math.abs(b)).toBeLessThanOrEqual(1e-6)
  })

  it('three Adam steps follow PyTorch semantics (bias correction, eps outside the sqrt)', async () => {
    const [lr, b1, b2, eps] = [0.01, 0.8, 0.9, 1e-3]
    const got = await run(
      engine,
      (m) => new optim.Adam(m.parameters(), { lr, betas: [b1, b2], eps }),
      3,
      2,
      1,
    )
    const p = [2, 1]
    const m = [0, 0]
    const v = [0, 0]
    for (let t = 1; t <= 3; t++) {
      const g = grads64(p[0] as number, p[1] as number)
      for (let i = 0; i < 2; i++) {
        m[i] = b1 * (m[i] as number) + (1 - b1) * (g[i] as number)
        v[i] = b2 * (v[i] as number) + (1 - b2) * (g[i] as number) ** 2
        const denom = Math.sqrt(v[i] as number) / Math.sqrt(1 - b2 ** t) + eps
        p[i] = (p[i] as number) - ((lr / (1 - b1 ** t)) * (m[i] as number)) / denom
      }
    }
    expect(Math.abs(got.w - (p[0] as number)) / Math.abs(p[0] as number)).toBeLessThanOrEqual(1e-6)
    expect(Math.abs(got.b - (p[1] as number)) / Math.abs(p[1] as number)).toBeLessThanOrEqual(1e-6)
  })

  it('SGD with momentum follows PyTorch (buffer starts at the gradient, dampening 0)', async () => {
    const [lr, mu] = [0.001, 0.9]
    const got = await run(engine, (m) => new optim.SGD(m.parameters(), { lr, momentum: mu }), 3)
    const p = [0.5, -0.25]
    const buf = [0, 0]
    for (let t = 0; t < 3; t++) {
      const g = grads64(p[0] as number, p[1] as number)
      for (let i = 0; i < 2; i++) {
        buf[i] = t === 0 ? (g[i] as number) : mu * (buf[i] as number) + (g[i] as number)
        p[i] = (p[i] as number) - lr * (buf[i] as number)
      }
    }
    expect(Math.abs(got.w - (p[0] as number)) / Math.abs(p[0] as number)).toBeLessThanOrEqual(1e-6)
    expect(Math.abs(got.b - (p[1] as number)) / Math.abs(p[1] as number)).toBeLessThanOrEqual(1e-6)
  })

  it('repeats bit for bit', async () => {
    const adam = (m: nn.Module) => new optim.Adam(m.parameters(), { lr: 0.1 })
    expect(await run(engine, adam, 50)).toEqual(await run(engine, adam, 50))
  })
})
