/** The scaling suite's workloads and how --quick shrinks them. Pure. */

export interface Workload {
  /** Stable id: rows' keys are `scaling/<id>`. */
  id: string
  /** Rows of data (full run). */
  n: number
  batch: number | 'full'
  /** Hidden layer widths (ReLU); [] is Linear(1,1). */
  hidden: number[]
  model: string
}

export const WORKLOADS: Workload[] = [
  { id: '1e5-b32-linear', n: 1e5, batch: 32, hidden: [], model: 'Linear(1,1)' },
  { id: '1e5-b32-mlp', n: 1e5, batch: 32, hidden: [64, 64], model: 'MLP 1-64-64-1 ReLU' },
  { id: '1e6-full-linear', n: 1e6, batch: 'full', hidden: [], model: 'Linear(1,1)' },
  { id: '1e6-full-mlp', n: 1e6, batch: 'full', hidden: [64, 64], model: 'MLP 1-64-64-1 ReLU' },
]

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

/** The dualfit spec of a workload over a CSV file with columns x and y (as the runner writes it). */
export function workloadSpec(w: Workload, csvFile: string, epochs: number): Record<string, unknown> {
  return {
    name: `bench-scaling-${w.id}`,
    description: `pnpm bench scaling workload ${w.id}`,
    dataset: { file: csvFile, x: 'x', y: 'y' },
    model: {
      layers: [
        ...w.hidden.map((units) => ({ units, activation: 'relu' })),
        { units: 1, activation: 'linear' },
      ],
    },
    loss: 'mse',
    optimizer: { name: 'adam', lr: 0.01 },
    epochs,
    batchSize: w.batch,
    shuffle: true,
    init: 'torch',
    seeds: [0],
    refit: true,
  }
}
