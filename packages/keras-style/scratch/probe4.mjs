import * as tf from '@tensorflow/tfjs-core'
import * as tl from '@tensorflow/tfjs-layers'
import '@tensorflow/tfjs-backend-cpu'
tf.env().set('PROD', true)
await tf.setBackend('cpu')
const X = [1, 8, 4, 5, 12, 10, 17], Y = X.map(v => v * 3.28084)
const m = tl.sequential(); m.add(tl.layers.dense({ units: 1, inputShape: [1] }))
const opt = tf.train.adam(0.1); m.compile({ loss: 'meanSquaredError', optimizer: opt })
const x0 = tf.tensor2d(X, [7, 1]), y0 = tf.tensor2d(Y, [7, 1])
await m.fit(x0, y0, { epochs: 2, batchSize: 7, shuffle: false, verbose: 0, yieldEvery: 'never' })
for (const E of [1, 2]) {
const p = await tf.profile(async () => { await m.fit(x0, y0, { epochs: E, batchSize: 7, shuffle: false, verbose: 0, yieldEvery: 'never' }) })
const c = {}; for (const k of p.kernels) c[k.name] = (c[k.name] ?? 0) + 1
console.log('epochs', E, 'kernels', p.kernels.length, 'newTensors', p.newTensors, JSON.stringify(c))
}
const p2 = await tf.profile(() => { opt.minimize(() => tf.losses.meanSquaredError(y0, tf.add(tf.matMul(x0, m.layers[0].kernel.val), m.layers[0].bias.val)), false) })
const c = {}; for (const k of p2.kernels) c[k.name] = (c[k.name] ?? 0) + 1
console.log('minimize kernels', p2.kernels.length, JSON.stringify(c))
const p3 = await tf.profile(async () => { await m.trainOnBatch(x0, y0) })
const c3 = {}; for (const k of p3.kernels) c3[k.name] = (c3[k.name] ?? 0) + 1
console.log('trainOnBatch kernels', p3.kernels.length, JSON.stringify(c3))
// per-op cost
const a = tf.scalar(1), b = tf.scalar(2)
for (let r = 0; r < 3; r++) { const t = performance.now(); for (let i = 0; i < 20000; i++) tf.add(a, b).dispose(); console.log('add+dispose us', ((performance.now() - t) / 20).toFixed(2)) }
for (let r = 0; r < 3; r++) { const t = performance.now(); for (let i = 0; i < 20000; i++) tf.tidy(() => tf.add(a, b)).dispose(); console.log('tidy add us', ((performance.now() - t) / 20).toFixed(2)) }
for (let r = 0; r < 3; r++) { const t = performance.now(); for (let i = 0; i < 20000; i++) tf.tensor2d([1], [1,1]).dispose(); console.log('tensor create us', ((performance.now() - t) / 20).toFixed(2)) }
