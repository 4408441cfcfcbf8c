/** The shapes `pnpm bench` passes around and writes: rows, options, suites. */

export const SUITE_NAMES = [
  'step',
  'protocols',
  'scaling',
  'startup',
  'memory',
  'parallel',
  'distributed',
] as const
export type SuiteName = (typeof SUITE_NAMES)[number]

export const DEVICE_CHOICES = ['cpu', 'wasm', 'gpu', 'all'] as const
export type DeviceChoice = (typeof DEVICE_CHOICES)[number]

export const FORMATS = ['table', 'json'] as const
export type Format = (typeof FORMATS)[number]

export interface BenchOptions {
  /** Suites to run, in canonical order, without repeats. */
  suites: SuiteName[]
  /** A smoke run: smaller N, fewer epochs and repetitions, every code path. */
  quick: boolean
  /** Judge the targets after the tables; exit 1 on any FAIL. */
  check: boolean
  device: DeviceChoice
  format: Format
  /** Also write the JSON document to this file (atomically). */
  out?: string
  /** Overwrite an existing `out` file. */
  force?: boolean
}

/** What a row's `value` (and its PyTorch figure) counts. */
export type Unit = 'µs/step' | 'ms/epoch' | 'ms' | 'MB' | 'x'

/** One measured row: a dualfit figure next to real PyTorch's for the same work, measured in the same run. */
export interface BenchRow {
  suite: SuiteName
  /** Stable id of what was measured, e.g. 'scaling/1e6-full-mlp' (targets match on it; labels change with --quick). */
  key: string
  /** What was measured, for people, e.g. 'N=1e6, full batch, MLP 1-64-64-1 ReLU'. */
  case: string
  backend: string
  engine: string
  /** The engine `dualfit compare` picks for this --device: targets judge this row. */
  default: boolean
  unit: Unit
  /** dualfit's figure; null when the run failed (see error). */
  value: number | null
  /** PyTorch's figure for the same case; null with pytorchWhy when there is none. */
  pytorch: number | null
  pytorchWhy?: string
  /** value / pytorch (lower is better for times and memory); null when either is missing. */
  ratio: number | null
  /**
   * The engine's bare loop on the same work, no dualfit in it (bare.ts; scaling and its memory rows
   * only); null with bareWhy when it failed.
   */
  bare?: number | null
  bareWhy?: string
  /** value / bare: dualfit's own cost over the engine's, what the targets judge. */
  overhead?: number | null
  /** bare / pytorch: the engine's speed (or memory) against PyTorch's, a finding, never a target. */
  engineRatio?: number | null
  error?: string
  notes?: string
  /** The software GPU adapter it ran on (e.g. 'SwiftShader'): correct, not fast; never judged. */
  software?: string
  /** Raw figures behind the row (steps, epochs, setup ms, samples...). */
  detail?: Record<string, number | string | boolean | null>
}
