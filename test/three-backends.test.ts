import { describe, expect, it } from 'vitest'
import { dualfit } from './cli.js'

interface Engine {
  id: string
  available: boolean
  detail: string
}
const listed = JSON.parse(dualfit(['backends', '--backends', 'pytorch', '--format', 'json']).stdout) as {
  engines: Engine[]
}[]
const cpu = listed[0]?.engines.find((e) => e.id === 'cpu')
const skip = cpu?.available ? null : `pytorch unavailable: ${cpu?.detail ?? 'not listed'}`

describe.skipIf(skip !== null)(
  `TF.js, ONNX Runtime and real PyTorch side by side${skip ? ` (${skip})` : ''}`,
  () => {
    it('prints three rows per table, and torch-style agrees with PyTorch on seed-torch within 1e-4', () => {
      const args = [
        'compare',
        '--spec',
        '../experiments/seed-torch.json',
        '--backends',
        'keras-style,torch-style,pytorch',
      ]
      const table = dualfit([...args, '--quiet', '--layout', 'wide'], import.meta.dirname)
      expect(table.stderr).toBe('')
      for (const id of ['keras-style', 'torch-style', 'pytorch'])
        expect(table.stdout).toContain(`│ ${id} (cpu)`)
      const out = JSON.parse(dualfit([...args, '--format', 'json'], import.meta.dirname).stdout)
      const [, torch, pytorch] = out.results as {
        trials: { history: { loss: number[] }; weights: { kernel: number[]; bias: number[] }[] }[]
      }[]
      torch?.trials.forEach((t, i) => {
        const p = pytorch?.trials[i]
        expect(t.history.loss.length).toBe(p?.history.loss.length)
        t.history.loss.forEach((l, e) => {
          const ref = p?.history.loss[e] as number
          expect(Math.abs(l - ref) / Math.max(Math.abs(ref), 1e-12)).toBeLessThan(1e-4)
        })
        expect(
          Math.abs((t.weights[0]?.kernel[0] as number) - (p?.weights[0]?.kernel[0] as number)),
        ).toBeLessThan(1e-4)
      })
    })
  },
)
