import { argmaxRow, modelProbabilities, toJson, UserError } from '@dualfit/core'
import { isBlank, parseNumber, rangeProblem } from '@dualfit/data'
import { type ImportedModel, predictOnnx, readOnnxFile } from '@dualfit/onnx'
import { num, textTable } from '@dualfit/report'
import type { Argv } from 'yargs'
import type { Command, Context } from '../options.js'

export interface PredictArgs {
  model: string
  x: string[]
  engine: 'cpu' | 'wasm'
  format: 'table' | 'json'
}

/**
 * Each --x is one row: a number, or comma-separated numbers for several inputs, each by the data
 * files' rule (decimal or scientific notation; no empty field, hex, Infinity or NaN) and within
 * float32's range, as the model computes in float32.
 */
export function parseRows(xs: string[], inputs: number): number[][] {
  return xs.map((text, i) => {
    const where = `--x #${i + 1} '${text}'`
    const cells = text.split(',')
    const row = cells.map((cell, j) => {
      const which = cells.length > 1 ? ` value ${j + 1}` : ''
      if (isBlank(cell))
        throw new UserError(`${where}:${which} empty, expected ${inputs} comma-separated number(s)`)
      const v = parseNumber(cell)
      if (Number.isNaN(v))
        throw new UserError(
          `${where}:${which} expected a decimal number such as 1.5 or -2e3, got '${cell.trim()}'`,
        )
      const problem = rangeProblem(v, cell)
      if (problem) throw new UserError(`${where}:${which} ${problem}`)
      return v
    })
    if (row.length !== inputs) {
      throw new UserError(`${where}: the model takes ${inputs} input(s), got ${row.length}`)
    }
    return row
  })
}

export async function predict(a: PredictArgs): Promise<string> {
  const model = await readOnnxFile(a.model)
  const rows = parseRows(a.x, model.inputs)
  const y = await predictOnnx(model, Float32Array.from(rows.flat()), a.engine)
  const outputs = y.length / rows.length
  const out = rows.map((x, i) => ({ x, y: Array.from(y.subarray(i * outputs, (i + 1) * outputs)) }))
  // A model with huge or NaN weights (a diverged run, a hand-made file) says nothing useful: no
  // "Infinity" printed as if it were an answer.
  out.forEach((p, i) => {
    const k = p.y.findIndex((v) => !Number.isFinite(v))
    if (k >= 0) {
      const which = outputs > 1 ? ` (output ${k + 1})` : ''
      throw new UserError(
        `--x #${i + 1} '${a.x[i]}': the prediction${which} is ${p.y[k]}, not a finite number (model '${a.model}': its weights overflow or hold NaN)`,
      )
    }
  })
  const { classes } = model
  if (classes) return classified(a, model, out, classes)
  if (a.format === 'json') return toJson({ model: a.model, engine: a.engine, predictions: out })
  const body = out.map((p) => [p.x.join(', '), p.y.map((v) => num(v, 7)).join(', ')])
  return `${textTable(['x', 'y'], body)}\n`
}

/**
 * A classifier's predictions (the class names exportOnnx stored): each row's class and each class's
 * probability, as results' predictions hold them. Its outputs are probabilities unless its last
 * layer is linear (logits, a model exported without them), which core's modelProbabilities turns
 * into probabilities the same way the harness does.
 */
function classified(
  a: PredictArgs,
  model: ImportedModel,
  out: { x: number[]; y: number[] }[],
  classes: string[],
): string {
  const probs = modelProbabilities(
    model.layers,
    out.flatMap((p) => p.y),
  )
  const predictions = out.map((p, i) => ({
    x: p.x,
    y: Array.from(probs.p.subarray(i * probs.classes, (i + 1) * probs.classes)),
    label: classes[argmaxRow(probs.p, probs.classes, i)] as string,
  }))
  if (a.format === 'json') return toJson({ model: a.model, engine: a.engine, classes, predictions })
  const body = predictions.map((p) => [p.x.join(', '), p.label, ...p.y.map((v) => num(v, 4))])
  return `${textTable(['x', 'class', ...classes.map((c) => `p(${c})`)], body)}\n`
}

export const predictCommand: Command = {
  name: 'predict',
  register: (y: Argv, ctx: Context) =>
    y.command(
      'predict',
      "Predict with an ONNX model (exported by dualfit or made elsewhere, e.g. torch.onnx.export); a classifier dualfit exported shows each row's class and each class's probability",
      (o) =>
        o
          .option('model', { type: 'string', demandOption: true, describe: '.onnx file' })
          .option('x', {
            type: 'string',
            array: true,
            demandOption: true,
            describe: 'an input row; comma-separated for several inputs; repeatable',
          })
          .option('engine', {
            choices: ['cpu', 'wasm'] as const,
            default: 'cpu' as const,
            describe: 'onnxruntime-node (cpu) or onnxruntime-web (wasm)',
          })
          .option('format', { choices: ['table', 'json'] as const, default: 'table' as const })
          .example('$0 predict --model model.onnx --x 100 --x 200', 'two predictions'),
      (a) => ctx.print(predict({ model: a.model, x: a.x.map(String), engine: a.engine, format: a.format })),
    ),
}
