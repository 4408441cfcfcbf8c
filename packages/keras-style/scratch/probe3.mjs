import * as tf from '@tensorflow/tfjs-core'
import * as tl from '@tensorflow/tfjs-layers'
import '@tensorflow/tfjs-backend-cpu'
import '@tensorflow/tfjs-backend-wasm'
tf.env().set('PROD', true)
const X = [1, 8, 4, 5, 12, 10, 17], Y = X.map(v => v * 3.28084)
const engine = process.argv[2] ?? 'cpu'
await tf.setBackend(engine); await tf.ready()
function perm(n, e) { const p = [...Array(n).keys()]; let s = e * 7 + 1; for (let i = n - 1; i > 0; i--) { s = (s * 16807) % 2147483647; const j = s % (i + 1); [p[i], p[j]] = [p[j], p[i]] } return p }
function mk() {
  const m = tl.sequential(); m.add(tl.layers.dense({ units: 1, inputShape: [1] }))
  const w = [tf.tensor2d([[0.5]]), tf.tensor1d([0])]
  m.setWeights(w); tf.dispose(w)
  const opt = tf.train.adam(0.1); m.compile({ loss: 'meanSquaredError', optimizer: opt }); return [m, opt]
}
const x0 = tf.tensor2d(X, [7, 1]), y0 = tf.tensor2d(Y, [7, 1])
async function variableTrick(epochs, bs) {
  const [m, opt] = mk()
  const xv = tf.variable(x0, false), yv = tf.variable(y0, false)
  const t = performance.now()
  const h = await m.fit(xv, yv, { epochs, batchSize: bs, shuffle: false, verbose: 0, yieldEvery: 'never', callbacks: { onEpochBegin: async (e) => { const idx = tf.tensor1d(perm(7, e), 'int32'); tf.tidy(() => { xv.assign(tf.gather(x0, idx)); yv.assign(tf.gather(y0, idx)) }); idx.dispose() } } })
  const dt = performance.now() - t
  m.dispose(); opt.dispose(); xv.dispose(); yv.dispose()
  return [dt, h.history.loss.at(-1)]
}
async function plainFit(epochs, bs) {
  const [m, opt] = mk()
  const t = performance.now()
  const h = await m.fit(x0, y0, { epochs, batchSize: bs, shuffle: false, verbose: 0, yieldEvery: 'never' })
  const dt = performance.now() - t
  m.dispose(); opt.dispose()
  return [dt, h.history.loss.at(-1)]
}
async function perEpochFit(epochs, bs) {
  const [m, opt] = mk()
  const t = performance.now(); let last
  for (let e = 0; e < epochs; e++) {
    const idx = tf.tensor1d(perm(7, e), 'int32'); const xe = tf.gather(x0, idx), ye = tf.gather(y0, idx)
    const h = await m.fit(xe, ye, { epochs: e + 1, initialEpoch: e, batchSize: bs, shuffle: false, verbose: 0, yieldEvery: 'never' })
    last = h.history.loss.at(-1); tf.dispose([idx, xe, ye])
  }
  const dt = performance.now() - t
  m.dispose(); opt.dispose()
  return [dt, last]
}
async function fitDataset(epochs, bs) {
  const [m, opt] = mk()
  let epoch = 0
  const ds = { iterator: async () => { const p = perm(7, epoch++); let i = 0; return { next: async () => { if (i >= 7) return { done: true, value: null }; const ids = p.slice(i, i + bs); i += bs; const idx = tf.tensor1d(ids, 'int32'); const v = { xs: tf.gather(x0, idx), ys: tf.gather(y0, idx) }; idx.dispose(); return { done: false, value: v } } } } }
  const t = performance.now()
  const h = await m.fitDataset(ds, { epochs, verbose: 0, yieldEvery: 'never' })
  const dt = performance.now() - t
  m.dispose(); opt.dispose()
  return [dt, h.history.loss.at(-1)]
}
async function trainOnBatch(epochs, bs) {
  const [m, opt] = mk()
  const t = performance.now()
  for (let e = 0; e < epochs; e++) { const p = perm(7, e); for (let i = 0; i < 7; i += bs) { const idx = tf.tensor1d(p.slice(i, i + bs), 'int32'); const xb = tf.gather(x0, idx), yb = tf.gather(y0, idx); await m.trainOnBatch(xb, yb); tf.dispose([idx, xb, yb]) } }
  const dt = performance.now() - t
  m.dispose(); opt.dispose()
  return [dt, 0]
}
async function minimize(epochs, bs) {
  const w = tf.variable(tf.tensor2d([[0.5]])), b = tf.variable(tf.tensor1d([0])); const opt = tf.train.adam(0.1)
  const t = performance.now()
  for (let e = 0; e < epochs; e++) for (let i = 0; i < 7; i += bs) { const c = opt.minimize(() => tf.losses.meanSquaredError(y0, tf.add(tf.matMul(x0, w), b)), false); }
  const dt = performance.now() - t
  w.dispose(); b.dispose(); opt.dispose()
  return [dt, 0]
}
const fns = [plainFit, variableTrick, perEpochFit, fitDataset, trainOnBatch, minimize]
const res = {}
for (let rep = 0; rep < 5; rep++) for (const bs of [1, 7]) for (const f of fns) {
  if (rep === 0) await f(50, bs)
  const E = bs === 1 ? 200 : 1000; const n0 = tf.memory().numTensors
  const [dt] = await f(E, bs)
  const steps = E * Math.ceil(7 / bs)
  ;(res[f.name + ' bs' + bs] ??= []).push(dt * 1000 / steps)
  if (tf.memory().numTensors !== n0) console.log('leak', f.name)
}
for (const [k, v] of Object.entries(res)) { v.sort((a, b) => a - b); console.log(engine, k.padEnd(22), v[2].toFixed(1), 'us/step median', v.map(x => x.toFixed(0)).join(' ')) }
