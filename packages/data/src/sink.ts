import type { LabelCodes } from './labels.js'

/** Rows kept so far, row-major, in Float32Arrays that double as rows stream in. */
export class Sink {
  n = 0
  x: Float32Array
  y: Float32Array
  dropped = 0
  readonly droppedRows: number[] = []
  private cap = 1024

  constructor(
    readonly nx: number,
    readonly ny: number,
    /** Set when y is a column of class labels: y then holds each row's code. */
    readonly labels: LabelCodes | null = null,
  ) {
    this.x = new Float32Array(this.cap * nx)
    this.y = new Float32Array(this.cap * ny)
  }

  /** Makes room for row n, which the caller then fills and keeps (n++) or drops. */
  reserve(): void {
    if (this.n < this.cap) return
    this.cap *= 2
    const x = new Float32Array(this.cap * this.nx)
    x.set(this.x)
    this.x = x
    const y = new Float32Array(this.cap * this.ny)
    y.set(this.y)
    this.y = y
  }

  drop(row: number): void {
    this.dropped++
    if (this.droppedRows.length < 5) this.droppedRows.push(row)
  }

  /** Exact-length copies, so that .buffer holds only this table's values. */
  take(): { x: Float32Array; y: Float32Array } {
    return { x: this.x.slice(0, this.n * this.nx), y: this.y.slice(0, this.n * this.ny) }
  }
}
