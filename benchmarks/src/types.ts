/** One measured row of `pnpm bench`. */
export interface BenchRow {
  suite: string
  backend: string
  engine: string
  /** What was measured, e.g. 'Dense(1) Adam, batch 7'. */
  case: string
  steps: number
  usPerStep: number
  /** Extra figures worth printing (setup ms, breakdowns). */
  notes?: string
}

export interface BenchOptions {
  device: 'cpu' | 'wasm' | 'gpu' | 'all'
  /** Fewer repetitions, for a smoke run. */
  quick: boolean
}
