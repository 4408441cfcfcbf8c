import { time } from './bench.mjs'
import { buildTrainingGraph, buildForwardGraph, netOf, loadEngine } from './dist/index.js'
import { GraphBuilder } from './dist/proto.js'
const net = netOf(1, [{ units: 1, activation: 'linear' }])
const train = buildTrainingGraph(net, { name: 'mse', delta: 1 })
const fwd = buildForwardGraph(net)
const g = new GraphBuilder('id'); g.input('x', ['batch', 1]); g.output(g.node('Relu', ['x']), 'y', ['batch', 1]); const ident = g.encode('')
const xs = Float32Array.of(1, 8, 4, 5, 12, 10, 17), ys = Float32Array.of(3.28084, 26.24672, 13.12336, 16.4042, 39.37008, 32.8084, 55.77428)
const w = Float32Array.of(0.5), b = Float32Array.of(0.1)
for (const id of ['cpu', 'wasm']) {
  const e = await loadEngine(id)
  const st = await e.session(train), sf = await e.session(fwd), si = await e.session(ident)
  const cases = {
    relu: () => si.run({ x: e.tensor(xs, [7, 1]) }),
    fwd: () => sf.run({ x: e.tensor(xs, [7, 1]), 'dense0.weight': e.tensor(w, [1, 1]), 'dense0.bias': e.tensor(b, [1]) }),
    train: () => st.run({ x: e.tensor(xs, [7, 1]), y: e.tensor(ys, [7, 1]), 'dense0.weight': e.tensor(w, [1, 1]), 'dense0.bias': e.tensor(b, [1]) }),
    trainLossOnly: () => st.run({ x: e.tensor(xs, [7, 1]), y: e.tensor(ys, [7, 1]), 'dense0.weight': e.tensor(w, [1, 1]), 'dense0.bias': e.tensor(b, [1]) }, ['loss']),
    tensors: async () => [e.tensor(xs, [7, 1]), e.tensor(ys, [7, 1]), e.tensor(w, [1, 1]), e.tensor(b, [1])],
    immediate: () => new Promise((r) => setImmediate(r)),
  }
  for (const [k, f] of Object.entries(cases)) {




    console.log(id, k, await time(f))
  }
}
