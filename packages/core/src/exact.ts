/**
 * The true functions of the built-in datasets and how reports write them. No imports: this module
 * is also bundled into report.html's script (@dualfit/charts), so the page computes the same
 * exact values as the harness, from this one definition.
 */

/** A one-input function and its formula, e.g. 'y = 3.28084 x'. */
export interface ExactFunction {
  f: (x: number) => number
  formula: string
}

export const EXACT_FUNCTIONS = {
  'meters-feet': { f: (m) => m * 3.28084, formula: 'y = 3.28084 x' },
  'celsius-fahrenheit': { f: (c) => c * 1.8 + 32, formula: 'y = 1.8 x + 32' },
  'noisy-linear': { f: (x) => 2 * x + 1, formula: 'y = 2 x + 1' },
  sin: { f: Math.sin, formula: 'y = sin(x)' },
} satisfies Record<string, ExactFunction>

/** The built-in datasets: each has its exact function above. */
export type BuiltinName = keyof typeof EXACT_FUNCTIONS

/** The exact function of a built-in dataset, or null for any other name. */
export function exactFunction(name: string): ExactFunction | null {
  return Object.hasOwn(EXACT_FUNCTIONS, name) ? EXACT_FUNCTIONS[name as BuiltinName] : null
}
