/**
 * What report.html's Node side (html.ts, report.ts, assets.ts) and its script (try-it.ts) agree
 * on: the globals the ort/ and models/ scripts define, and the page's JSON data block.
 */

/** window[ORT_GLOBAL]: onnxruntime-web's glue module and gzipped wasm binary (assets.ts). */
export const ORT_GLOBAL = 'DUALFIT_ORT'
/** window[MODELS_GLOBAL][key]: each model's ONNX bytes in base64 (models/<key>.onnx.js). */
export const MODELS_GLOBAL = 'DUALFIT_MODELS'
/** The id of the <script type="application/json"> element that holds PageData. */
export const DATA_ID = 'dualfit-data'

export interface PageData {
  specs: {
    /** The try-it form's data-spec. */
    id: string
    inputs: number
    outputs: number
    /** A built-in dataset with an exact function (core's EXACT_FUNCTIONS), or null. */
    exact: string | null
    /** A classifier's class names in label order; null for a regression. */
    classes: string[] | null
    /** A classifier whose last layer is linear: its outputs are logits, not probabilities. */
    logits: boolean
    models: { key: string; backend: string }[]
  }[]
}
