/** What the runner asks a child process to measure, and what comes back (JSON both ways). */
import type { Workload } from './workloads.js'

export type StyleId = 'torch-style' | 'keras-style'

export type Job =
  | { kind: 'step'; backend: StyleId; engine: string; quick: boolean }
  | {
      kind: 'protocols'
      backend: StyleId
      engine: string
      /** Epochs per protocol (spec name -> epochs); absent: the specs' own. */
      epochs: Record<string, number>
    }
  | {
      kind: 'scaling'
      backend: StyleId
      engine: string
      workload: Workload
      epochs: number
      csv: string
    }
  | {
      /** The same workload on the engine alone (bare.ts): what dualfit's overhead is measured against. */
      kind: 'bare'
      backend: StyleId
      engine: string
      workload: Workload
      epochs: number
      /** The raw float32 data (x then y), as PyTorch reads it. */
      f32: string
    }
  | {
      kind: 'parallel'
      backend: StyleId
      engine: string
      /** 1: in-process, as `compare --workers 1`; more: core's TrialPool. */
      workers: number
      epochs: Record<string, number>
    }

export interface StepMeasure {
  key: string
  case: string
  batch: number
  steps: number
  usPerStep: number
  notes?: string
}

export interface StepResult {
  rows: StepMeasure[]
}

export interface ProtocolsResult {
  protocols: { name: string; ms: number; steps: number; trials: number }[]
  totalMs: number
}

export interface ScalingResult {
  trainMs: number
  epochsRun: number
  steps: number
  setupMs: number
  /** prepareExperiment: reading the CSV and checking the spec. */
  loadMs: number
  finalLoss: number
}

export interface ParallelResult {
  ms: number
  workers: number
  trials: number
  steps: number
  /** sha256 of the trials and selection with timings removed: equal results, equal fingerprints. */
  fingerprint: string
  selected: number
}

export type JobResult = StepResult | ProtocolsResult | ScalingResult | ParallelResult

/** Prefix of the child's result line on stdout (engines may print their own lines). */
export const RESULT_MARKER = '@@dualfit-bench-result@@'

export interface ChildOutput<T> {
  result: T
  /** process.resourceUsage().maxRSS: peak resident set of the child, in KiB. */
  maxRssKb: number
}

/** Timed chunks of the step loops (torch-style and PyTorch alike): median of chunks after a warm-up. */
export const STEP_CHUNKS = {
  full: { chunks: 15, perChunk: 2000, warmUp: 5000 },
  quick: { chunks: 5, perChunk: 200, warmUp: 200 },
}

/** The seed's protocol specs (@dualfit/experiments), as `dualfit compare` runs them. */
export const SEED_SPECS = ['seed-keras', 'seed-torch'] as const
