import { UserError } from '@dualfit/core'
import { predictOnnx, readOnnxFile } from '@dualfit/onnx'
import { num, textTable } from '@dualfit/report'
import type { Argv } from 'yargs'
import { toJson } from '../io.js'
import type { Command, Context } from '../options.js'

export interface PredictArgs {
  model: string
  x: string[]
  engine: 'cpu' | 'wasm'
  format: 'table' | 'json'
}

/** Each --x is one row: a number, or comma-separated numbers for several inputs. */
function parseRows(xs: string[], inputs: number): number[][] {
  return xs.map((text, i) => {
    const row = text.split(',').map((v) => Number(v.trim()))
    if (row.some((v) => !Number.isFinite(v)) || text.trim() === '') {
      throw new UserError(`--x #${i + 1} '${text}': expected ${inputs} comma-separated number(s)`)
    }
    if (row.length !== inputs) {
      throw new UserError(`--x #${i + 1} '${text}': the model takes ${inputs} input(s), got ${row.length}`)
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
  if (a.format === 'json') return toJson({ model: a.model, engine: a.engine, predictions: out })
  const body = out.map((p) => [p.x.join(', '), p.y.map((v) => num(v, 7)).join(', ')])
  return `${textTable(['x', 'y'], body)}\n`
}

export const predictCommand: Command = {
  name: 'predict',
  register: (y: Argv, ctx: Context) =>
    y.command(
      'predict',
      'Predict with an ONNX regression model (exported by dualfit or made elsewhere, e.g. torch.onnx.export)',
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
