/**
 * The report page's own script: the "try it" boxes. It is static text (no user data is ever
 * spliced into it); what it needs comes from the page's JSON data block and from the scripts in
 * ort/ and models/, which define window.DUALFIT_ORT (ORT_GLOBAL) and window.DUALFIT_MODELS.
 */
import { ORT_GLOBAL } from './assets.js'

/** Exact functions of the built-in datasets, as JavaScript over the input row `x`. */
export const EXACT_FUNCTIONS: Record<string, { js: string; label: string }> = {
  'meters-feet': { js: 'x[0] * 3.28084', label: 'y = 3.28084 x' },
  'celsius-fahrenheit': { js: 'x[0] * 1.8 + 32', label: 'y = 1.8 x + 32' },
  'noisy-linear': { js: '2 * x[0] + 1', label: 'y = 2 x + 1, without the noise' },
  sin: { js: 'Math.sin(x[0])', label: 'y = sin(x)' },
}

const exactTable = Object.entries(EXACT_FUNCTIONS)
  .map(([name, f]) => `    ${JSON.stringify(name)}: (x) => [${f.js}],`)
  .join('\n')

export const PAGE_SCRIPT = `
(() => {
  'use strict'
  const EXACT = {
${exactTable}
  }
  const data = JSON.parse(document.getElementById('dualfit-data').textContent)
  const bytes = (base64) => {
    const bin = atob(base64)
    const out = new Uint8Array(bin.length)
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
    return out
  }
  // As the tables print numbers: significant digits, an exponent only for the very small or large.
  const fmt = (v, digits = 7) => {
    if (!Number.isFinite(v)) return String(v)
    const a = Math.abs(v)
    if (a !== 0 && (a < 1e-3 || a >= 1e9)) return v.toExponential(Math.min(digits, 4) - 1)
    return String(Number(v.toPrecision(digits)))
  }
  let runtime = null
  // onnxruntime-web, wasm, one thread: the binary and the glue module come from script files,
  // since a page opened from disk may not fetch() them.
  function ortRuntime() {
    runtime ??= (async () => {
      const assets = window.${ORT_GLOBAL}
      if (typeof ort === 'undefined' || !assets || !assets.glue || !assets.wasmGzBase64)
        throw new Error('onnxruntime-web did not load: the ort/ folder next to report.html is missing')
      if (typeof DecompressionStream === 'undefined')
        throw new Error('this browser cannot inflate the wasm binary (no DecompressionStream)')
      const stream = new Blob([bytes(assets.wasmGzBase64)]).stream().pipeThrough(new DecompressionStream('gzip'))
      ort.env.wasm.numThreads = 1
      ort.env.wasm.proxy = false
      ort.env.wasm.wasmBinary = new Uint8Array(await new Response(stream).arrayBuffer())
      ort.env.wasm.wasmPaths = { mjs: URL.createObjectURL(new Blob([assets.glue], { type: 'text/javascript' })) }
      ort.env.logLevel = 'error'
      return ort
    })()
    return runtime
  }
  const sessions = new Map()
  function session(key) {
    if (!sessions.has(key)) {
      sessions.set(
        key,
        ortRuntime().then((o) => {
          const model = window.DUALFIT_MODELS && window.DUALFIT_MODELS[key]
          if (!model) throw new Error('model script models/' + key + '.onnx.js did not load')
          return o.InferenceSession.create(bytes(model))
        }),
      )
    }
    return sessions.get(key)
  }
  // One run at a time on the single wasm instance.
  let queue = Promise.resolve()
  function predict(key, inputs, x) {
    const job = queue.then(async () => {
      const s = await session(key)
      const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x), [1, inputs]) }
      const out = await s.run(feeds)
      return Array.from(out[s.outputNames[0]].data, Number)
    })
    queue = job.catch(() => undefined)
    return job
  }
  function setup(form) {
    const spec = data.specs.find((s) => s.id === form.dataset.spec)
    if (!spec) return
    const fields = Array.from(form.querySelectorAll('input[data-index]'))
    const status = form.querySelector('.status')
    const exact = spec.exact && EXACT[spec.exact]
    let generation = 0
    async function update() {
      const g = ++generation
      const x = fields.map((f) => f.value.trim() === '' ? NaN : Number(f.value))
      const cells = (sel) => Array.from(form.querySelectorAll(sel))
      if (x.some((v) => !Number.isFinite(v))) {
        status.textContent = spec.inputs > 1 ? 'Type a number in every field.' : 'Type a number.'
        for (const c of cells('.pred, .err, .exact-value')) c.textContent = ''
        return
      }
      const truth = exact ? exact(x) : null
      for (const c of cells('.exact-value')) c.textContent = truth ? truth.map((v) => fmt(v)).join(', ') : ''
      status.textContent = 'running the models…'
      let failed = null
      await Promise.all(
        spec.models.map(async (m) => {
          const row = form.querySelector('tr[data-model="' + CSS.escape(m.key) + '"]')
          try {
            const y = await predict(m.key, spec.inputs, x)
            if (g !== generation) return
            row.querySelector('.pred').textContent = y.map((v) => fmt(v)).join(', ')
            row.querySelector('.err').textContent = truth ? y.map((v, i) => fmt(Math.abs(v - truth[i]), 4)).join(', ') : ''
          } catch (e) {
            failed = e
            if (g !== generation) return
            row.querySelector('.pred').textContent = 'failed'
          }
        }),
      )
      if (g !== generation) return
      status.textContent = failed ? 'Could not run the models: ' + (failed.message || failed) : 'onnxruntime-web ' + (ort.env.versions ? ort.env.versions.web || '' : '') + ' (wasm) ran ' + spec.models.length + ' model(s) in this page.'
    }
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      update()
    })
    for (const f of fields) f.addEventListener('input', update)
    update()
  }
  document.addEventListener('DOMContentLoaded', () => {
    for (const form of document.querySelectorAll('form.tryit')) setup(form)
  })
})()
`
