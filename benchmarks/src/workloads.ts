/** The scaling suite's workloads and how --quick shrinks them. Pure. */
import type { LayerSpec, LossSpec } from '@dualfit/core'

export interface Workload {
  /** Stable id: rows' keys are `scaling/<id>`. */
  id: string
  /** Rows of data (full run). */
  n: number
  batch: number | 'full'
  /** Input columns. */
  inputs: number
  /** Hidden layer widths (ReLU); [] is Linear(1,1). */
  hidden: number[]
  /** null: regression, one output under MSE; else logits of this many classes under cross_entropy. */
  classes: number | null
  model: string
}

export const WORKLOADS: Workload[] = [
  { id: '1e5-b32-linear', n: 1e5, batch: 32, inputs: 1, hidden: [], classes: null, model: 'Linear(1,1)' },
  {
    id: '1e5-b32-mlp',
    n: 1e5,
    batch: 32,
    inputs: 1,
    hidden: [64, 64],
    classes: null,
    model: 'MLP 1-64-64-1 ReLU',
  },
  {
    id: '1e6-full-linear',
    n: 1e6,
    batch: 'full',
    inputs: 1,
    hidden: [],
    classes: null,
    model: 'Linear(1,1)',
  },
  {
    id: '1e6-full-mlp',
    n: 1e6,
    batch: 'full',
    inputs: 1,
    hidden: [64, 64],
    classes: null,
    model: 'MLP 1-64-64-1 ReLU',
  },
  {
    id: '1e5-b128-classify',
    n: 1e5,
    batch: 128,
    inputs: 64,
    hidden: [128],
    classes: 10,
    model: 'MLP 64-128-10 ReLU, cross_entropy',
  },
]

/** The workload's layers: ReLU hidden layers, then one linear output (or one logit per class). */
export function workloadLayers(w: Workload): LayerSpec[] {
  return [
    ...w.hidden.map((units) => ({ units, activation: 'relu' as const })),
    { units: w.classes ?? 1, activation: 'linear' as const },
  ]
}

/** MSE, or cross_entropy on the logits (PyTorch's CrossEntropyLoss) for a classification workload. */
export function workloadLoss(w: Workload): LossSpec {
  return w.classes === null
    ? { name: 'mse', delta: 1 }
    : { name: 'cross_entropy', delta: 1, fromLogits: true }
}

/** The data file's x columns: x, or x0, x1, ... for several inputs. */
export function xColumns(w: Pick<Workload, 'inputs'>): string[] {
  return w.inputs === 1 ? ['x'] : Array.from({ length: w.inputs }, (_, i) => `x${i}`)
}

/** Epochs timed per workload: a few (the first epoch's warm-up is part of the mean, on both sides). */
export const EPOCHS = { full: 3, quick: 1 }

/** The rows a run uses: N, or N/10 for --quick. */
export function rowsFor(w: Workload, quick: boolean): number {
  return quick ? Math.round(w.n / 10) : w.n
}

/** '1e5', '1e6', '1e4'; other sizes as plain numbers. */
export function shortN(n: number): string {
  const e = Math.log10(n)
  return Number.isInteger(e) && e >= 3 ? `1e${e}` : n.toLocaleString('en-US')
}

/** 'N=1e6, full batch, MLP 1-64-64-1 ReLU' for the rows actually used. */
export function workloadLabel(w: Workload, n: number): string {
  return `N=${shortN(n)}, ${w.batch === 'full' ? 'full batch' : `batch ${w.batch}`}, ${w.model}`
}

/** The dualfit spec of a workload over a CSV file with columns xColumns(w) and y (as the runner writes it). */
export function workloadSpec(w: Workload, csvFile: string, epochs: number): Record<string, unknown> {
  const loss = workloadLoss(w)
  return {
    name: `bench-scaling-${w.id}`,
    description: `pnpm bench scaling workload ${w.id}`,
    dataset: { file: csvFile, x: xColumns(w), y: 'y' },
    model: { layers: workloadLayers(w) },
    loss: w.classes === null ? loss.name : { name: loss.name, fromLogits: loss.fromLogits },
    optimizer: { name: 'adam', lr: 0.01 },
    epochs,
    batchSize: w.batch,
    shuffle: true,
    init: 'torch',
    seeds: [0],
    refit: true,
  }
}
