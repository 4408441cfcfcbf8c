import { buildTrainingGraph, netOf, loadEngine } from './dist/index.js'
const net = netOf(1, [{ units: 1, activation: 'linear' }])
const bytes = buildTrainingGraph(net, { name: 'mse', delta: 1 })
const xs = Float32Array.of(1, 8, 4, 5, 12, 10, 17), ys = Float32Array.of(3.28084, 26.24672, 13.12336, 16.4042, 39.37008, 32.8084, 55.77428)
for (const id of ['cpu', 'wasm']) {
  const e = await loadEngine(id)
  const s = await e.session(bytes)
  const w = Float32Array.of(0.5), b = Float32Array.of(0.1)
  const m = new Float32Array(2), v = new Float32Array(2)
  let r
  const run = async (t) => {
    r = await s.run({ x: e.tensor(xs, [7, 1]), y: e.tensor(ys, [7, 1]), 'dense0.weight': e.tensor(w, [1, 1]), 'dense0.bias': e.tensor(b, [1]) })
    const g0 = r['dense0.weight.grad'].data[0], g1 = r['dense0.bias.grad'].data[0]
    const lr = 0.1
    const gs = [g0, g1], ps = [w, b]
    for (let i = 0; i < 2; i++) { m[i] = 0.9 * m[i] + 0.1 * gs[i]; v[i] = 0.999 * v[i] + 0.001 * gs[i] ** 2; ps[i][0] -= lr / (1 - 0.9 ** t) * m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - 0.999 ** t) + 1e-8) }
  }
  await run(1)
  console.log(id, r.loss.data[0], r['dense0.weight.grad'].data[0], r['dense0.bias.grad'].data[0])
  for (let rep = 0; rep < 3; rep++) {
    const N = 20000
    const t3 = performance.now()
    for (let i = 0; i < N; i++) await run(i + 2)
    console.log(id, 'us/step', ((performance.now() - t3) * 1000 / N).toFixed(2), w[0], b[0])
  }
}
