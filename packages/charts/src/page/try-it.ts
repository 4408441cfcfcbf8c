/**
 * report.html's own script: the "try it" boxes, which run each backend's ONNX model in the page
 * beside the dataset's exact function, or for a classifier show the class it picks and each
 * class's probability. Bundled for the browser at build time (dist/page/try-it.txt, with core's
 * exact functions and class probabilities, import-free modules) and inlined by html.ts. It is static: what it needs comes from the
 * page's JSON data block and from the ort/ and models/ scripts.
 */
import { exactFunction } from '@dualfit/core/exact'
import { argmaxRow, classProbabilities } from '@dualfit/core/metrics'
import type * as Ort from 'onnxruntime-web'
import { DATA_ID, MODELS_GLOBAL, ORT_GLOBAL, type PageData } from './shared.js'

/** Defined by onnxruntime-web's UMD bundle, ort/ort.wasm.min.js. */
declare const ort: typeof Ort

type PageWindow = Window & {
  [ORT_GLOBAL]?: { glue?: string; wasmGzBase64?: string }
  [MODELS_GLOBAL]?: Record<string, string>
}
const page = window as PageWindow

function bytes(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

/** As the tables print numbers: significant digits, an exponent only for the very small or large. */
function fmt(v: number, digits = 7): string {
  if (!Number.isFinite(v)) return String(v)
  const a = Math.abs(v)
  if (a !== 0 && (a < 1e-3 || a >= 1e9)) return v.toExponential(Math.min(digits, 4) - 1)
  return String(Number(v.toPrecision(digits)))
}

let runtime: Promise<typeof Ort> | null = null

/**
 * onnxruntime-web, wasm, one thread: the binary and the glue module come from script files,
 * since a page opened from disk may not fetch() them.
 */
function ortRuntime(): Promise<typeof Ort> {
  runtime ??= (async () => {
    const assets = page[ORT_GLOBAL]
    if (typeof ort === 'undefined' || !assets?.glue || !assets.wasmGzBase64)
      throw new Error('onnxruntime-web did not load: the ort/ folder next to report.html is missing')
    if (typeof DecompressionStream === 'undefined')
      throw new Error('this browser cannot inflate the wasm binary (no DecompressionStream)')
    const stream = new Blob([bytes(assets.wasmGzBase64)])
      .stream()
      .pipeThrough(new DecompressionStream('gzip'))
    ort.env.wasm.numThreads = 1
    ort.env.wasm.proxy = false
    ort.env.wasm.wasmBinary = new Uint8Array(await new Response(stream).arrayBuffer())
    ort.env.wasm.wasmPaths = {
      mjs: URL.createObjectURL(new Blob([assets.glue], { type: 'text/javascript' })),
    }
    ort.env.logLevel = 'error'
    return ort
  })()
  return runtime
}

const sessions = new Map<string, Promise<Ort.InferenceSession>>()

function session(key: string): Promise<Ort.InferenceSession> {
  let s = sessions.get(key)
  if (!s) {
    s = ortRuntime().then((o) => {
      const model = page[MODELS_GLOBAL]?.[key]
      if (!model) throw new Error(`model script models/${key}.onnx.js did not load`)
      return o.InferenceSession.create(bytes(model))
    })
    sessions.set(key, s)
  }
  return s
}

// One run at a time on the single wasm instance.
let queue: Promise<unknown> = Promise.resolve()

function predict(key: string, inputs: number, x: number[]): Promise<number[]> {
  const job = queue.then(async () => {
    const [o, s] = await Promise.all([ortRuntime(), session(key)])
    const input = new o.Tensor('float32', Float32Array.from(x), [1, inputs])
    const out = await s.run({ [s.inputNames[0] as string]: input })
    const y = out[s.outputNames[0] as string] as Ort.Tensor
    return Array.from(y.data as ArrayLike<number>, Number)
  })
  queue = job.catch(() => undefined)
  return job
}

function setText(root: ParentNode, selector: string, text: string): void {
  for (const c of root.querySelectorAll(selector)) c.textContent = text
}

/**
 * A classifier's row: its outputs as each class's probability (the harness's own
 * classProbabilities: softmax or sigmoid of logits, [1 - p, p] for one unit) and the class it picks.
 */
function showClass(row: Element, classes: string[], y: number[], logits: boolean): void {
  const probs = classProbabilities(y, y.length, logits)
  setText(row, '.pred', classes[argmaxRow(probs.p, probs.classes, 0)] ?? '')
  for (const cell of row.querySelectorAll<HTMLElement>('.prob'))
    cell.textContent = fmt(probs.p[Number(cell.dataset.class)] as number, 4)
}

function setup(form: HTMLFormElement, data: PageData): void {
  const spec = data.specs.find((s) => s.id === form.dataset.spec)
  const status = form.querySelector('.status')
  if (!spec || !status) return
  const fields = Array.from(form.querySelectorAll<HTMLInputElement>('input[data-index]'))
  const exact = spec.exact === null ? null : exactFunction(spec.exact)
  let generation = 0
  const update = async (): Promise<void> => {
    const g = ++generation
    const x = fields.map((f) => (f.value.trim() === '' ? Number.NaN : Number(f.value)))
    if (x.some((v) => !Number.isFinite(v))) {
      status.textContent = spec.inputs > 1 ? 'Type a number in every field.' : 'Type a number.'
      setText(form, '.pred, .err, .exact-value, .prob', '')
      return
    }
    const truth = exact ? [exact.f(x[0] as number)] : null
    setText(form, '.exact-value', truth ? truth.map((v) => fmt(v)).join(', ') : '')
    status.textContent = 'running the models…'
    let failed: unknown = null
    await Promise.all(
      spec.models.map(async (m) => {
        const row = form.querySelector(`tr[data-model="${CSS.escape(m.key)}"]`)
        if (!row) return
        try {
          const y = await predict(m.key, spec.inputs, x)
          if (g !== generation) return
          if (spec.classes) {
            showClass(row, spec.classes, y, spec.logits)
            return
          }
          setText(row, '.pred', y.map((v) => fmt(v)).join(', '))
          setText(
            row,
            '.err',
            truth ? y.map((v, i) => fmt(Math.abs(v - (truth[i] as number)), 4)).join(', ') : '',
          )
        } catch (e) {
          failed = e
          if (g !== generation) return
          setText(row, '.pred', 'failed')
        }
      }),
    )
    if (g !== generation) return
    status.textContent = failed
      ? `Could not run the models: ${failed instanceof Error ? failed.message : String(failed)}`
      : `onnxruntime-web ${ort.env.versions?.web ?? ''} (wasm) ran ${spec.models.length} model(s) in this page.`
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    void update()
  })
  for (const f of fields) f.addEventListener('input', () => void update())
  void update()
}

document.addEventListener('DOMContentLoaded', () => {
  const data = JSON.parse(document.getElementById(DATA_ID)?.textContent ?? '{"specs":[]}') as PageData
  for (const form of document.querySelectorAll<HTMLFormElement>('form.tryit')) setup(form, data)
})
