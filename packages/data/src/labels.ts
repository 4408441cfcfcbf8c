import type { DataError } from './errors.js'
import { parseNumber } from './numbers.js'
import { controlProblem } from './options.js'

/** A y column read as class labels; y holds each row's index into `classes`. */
export interface Labels {
  /** Class names in label order. */
  classes: string[]
  /** 'integer' or 'number' when every label is a number, else 'text'. */
  kind: 'text' | 'integer' | 'number'
  /** With kind 'number': the first data row (1-based) whose label is not an integer, and its text. */
  fraction?: { row: number; text: string }
}

/** Past this many distinct labels a column is not classes, and a hostile file cannot grow the Map. */
const MAX_CLASSES = 65536
/** Class names are printed and drawn; a longer one is not a name. */
const MAX_LABEL_CHARS = 1000

/**
 * Codes rows' labels as they stream in: one Map entry per distinct text, the row keeps only a
 * number (exact in float32 below MAX_CLASSES). `finish` renumbers them into sorted order.
 */
export class LabelCodes {
  private readonly codes = new Map<string, number>()
  /** Per code, the first data row that had it (increasing: codes are numbered as rows come). */
  private readonly firstRows: number[] = []

  /** The code of `text` (trimmed, not blank) in data row `row`; `fail` makes a problem an error. */
  code(text: string, row: number, fail: (what: string) => DataError): number {
    const known = this.codes.get(text)
    if (known !== undefined) return known
    if (text.length > MAX_LABEL_CHARS)
      throw fail(`a class label of ${text.length} characters (at most ${MAX_LABEL_CHARS}); is it a label?`)
    const problem = controlProblem('the class label', text)
    if (problem !== null) throw fail(`${problem}; remove it from the data`)
    if (this.codes.size === MAX_CLASSES)
      throw fail(
        `more than ${MAX_CLASSES} distinct class labels; a classification loss needs a column of classes`,
      )
    this.codes.set(text, this.codes.size)
    this.firstRows.push(row)
    return this.codes.size - 1
  }

  /**
   * Sorts the classes as scikit-learn's LabelEncoder does (np.unique, preprocessing/_label.py):
   * numerically when every label is a number, one class per value named by its shortest text
   * ('1.0' and '1' are class '1'); else by code point, as Python sorts str. Rewrites `y` to match.
   */
  finish(y: Float32Array): Labels {
    const texts = [...this.codes.keys()]
    const values = texts.map(parseNumber)
    const numeric = values.every(Number.isFinite)
    const order = numeric ? [...new Set(values)].sort((a, b) => a - b) : [...texts].sort(byCodePoint)
    const index = new Map<string | number, number>(order.map((v, i) => [v, i]))
    const remap = (numeric ? values : texts).map((v) => index.get(v) as number)
    for (let i = 0; i < y.length; i++) y[i] = remap[y[i] as number] as number
    if (!numeric) return { classes: order as string[], kind: 'text' }
    const classes = order.map(String)
    // Codes are numbered in row order: the first non-integer code is the first row with one.
    const first = values.findIndex((v) => !Number.isInteger(v))
    if (first < 0) return { classes, kind: 'integer' }
    return {
      classes,
      kind: 'number',
      fraction: { row: this.firstRows[first] as number, text: texts[first] as string },
    }
  }
}

/**
 * Code point order. UTF-16 units sort the same except that surrogates (astral characters) fall
 * below U+E000-U+FFFF; ICU's code point order fix-up lifts them above (ustring.cpp, uprv_strCompare).
 */
function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i)
    let cb = b.charCodeAt(i)
    if (ca === cb) continue
    if (ca >= 0xd800 && cb >= 0xd800) {
      ca += ca >= 0xe000 ? -0x800 : 0x2000
      cb += cb >= 0xe000 ? -0x800 : 0x2000
    }
    return ca - cb
  }
  return a.length - b.length
}
