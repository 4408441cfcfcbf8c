import type { z } from 'zod'
import { UserError } from './errors.js'
import { defaultEps } from './optimizers.js'
import {
  bare,
  type ExperimentSpec,
  formatKey,
  isObject,
  issueLines,
  type Score,
  specSchema,
  taskOf,
  unsafeKeyPath,
  unsafeKeyProblem,
  valueAt,
} from './spec.js'

/** scikit-learn's usual scorer for the task when there are folds to score on. */
const defaultScore = (s: Pick<ExperimentSpec, 'cv' | 'loss'>): Score =>
  !s.cv ? 'train_loss' : taskOf(s) === 'classification' ? 'cv_log_loss' : 'cv_mse'

/** Validates a parsed JSON spec; throws a UserError with one line per problem. */
export function parseSpec(input: unknown, source = 'spec'): ExperimentSpec {
  // Refused before anything reads the spec key by key.
  const unsafe = unsafeKeyPath(input)
  if (unsafe) throw new UserError(`${source}: ${unsafeKeyProblem(unsafe)}`)
  const r = specSchema.safeParse(input)
  const problems = r.success ? [] : issueLines(r.error.issues, input, source)
  const grid = valueAt(input, ['grid'])
  if (grid !== null && typeof grid === 'object' && !Array.isArray(grid)) {
    for (const key of Object.keys(grid)) {
      const p = specPathProblem(key)
      if (p) problems.push(`${source}: grid.${formatKey(key)}: ${p}`)
    }
  }
  if (!r.success || problems.length > 0) throw new UserError(problems)
  const s = r.data
  const eps = s.optimizer.eps ?? defaultEps(s.init, s.optimizer.name)
  return {
    ...s,
    optimizer: { ...s.optimizer, eps },
    selection: { rule: s.selection.rule, score: s.selection.score ?? defaultScore(s) },
  }
}

type Node = z.core.$ZodType
interface Def {
  type: string
  innerType?: Node
  in?: Node
  options?: Node[]
  shape?: Record<string, Node>
  element?: Node
}
const defOf = (n: Node) => n._zod.def as unknown as Def

/** The schemas a value at this node may take: wrappers (default, nullable, pipe) and unions unfolded. */
function shapesOf(n: Node): Node[] {
  const def = defOf(n)
  if (def.innerType) return shapesOf(def.innerType)
  if (def.type === 'pipe' && def.in) return shapesOf(def.in)
  if (def.type === 'union' && def.options) return def.options.flatMap(shapesOf)
  return [n]
}

const INDEX = /^(0|[1-9][0-9]{0,5})$/

/** The schemas of `key` under any of `nodes`, or why there is none. */
function childOf(nodes: Node[], key: string, parent: string): Node[] | string {
  const shapes = nodes.flatMap(shapesOf)
  const objects = shapes.map(defOf).filter((d) => d.type === 'object' && d.shape)
  const arrays = shapes.map(defOf).filter((d) => d.type === 'array' && d.element)
  const found = [
    ...objects.flatMap((d) =>
      Object.hasOwn(d.shape as object, key) ? [(d.shape as Record<string, Node>)[key] as Node] : [],
    ),
    ...(INDEX.test(key) ? arrays.map((d) => d.element as Node) : []),
  ]
  if (found.length > 0) return found
  const name = bare(key)
  if (objects.length > 0) {
    const fields = [...new Set(objects.flatMap((d) => Object.keys(d.shape as object)))].join(', ')
    return parent
      ? `'${parent}' has no field '${name}' (expected one of ${fields})`
      : `'${name}' is not a spec field (expected one of ${fields})`
  }
  if (arrays.length > 0) return `'${parent}' is a list: expected an index (0, 1, ...) after it, got '${name}'`
  if (shapes.some((n) => defOf(n).type === 'record'))
    return `'${parent}' is set as a whole, e.g. ${parent}={"optimizer.lr": [0.1, 0.01]}`
  return `'${parent}' has no fields, got '${name}' after it`
}

/**
 * Why `path` (dot-separated, e.g. optimizer.lr, earlyStopping.patience, model.layers.0.units) does
 * not name a field of the spec schema, or null when it does. Only known fields, nested as the schema
 * nests them, so a path can never reach __proto__, constructor or prototype.
 */
export function specPathProblem(path: string): string | null {
  const keys = path.split('.')
  if (keys.some((k) => k === ''))
    return `expected field names separated by dots, e.g. optimizer.lr, got ${JSON.stringify(path)}`
  let nodes: Node[] = [specSchema]
  for (const [i, key] of keys.entries()) {
    const next = childOf(nodes, key, keys.slice(0, i).join('.'))
    if (typeof next === 'string') return next
    nodes = next
  }
  return null
}

/**
 * A field set by name where the spec holds a name (`loss.delta` on `"loss": "mse"`): replacing
 * the name by an object would silently drop it, so the message shows the whole value to write.
 */
function wholeValueProblem(keys: string[], i: number, name: string, value: unknown): string {
  const field = keys.slice(0, i + 1).join('.')
  const rest = keys.slice(i + 1).join('.')
  const example = JSON.stringify({ name, [rest]: value })
  return `${formatKey(keys.join('.'))}: '${field}' is ${JSON.stringify(name)}, a name without fields; set it whole instead: ${field}=${example}`
}

/**
 * Sets a dot-separated spec path in a deep copy of a JSON spec (the grid's and --set's way to vary
 * any field). The path must name a spec field (specPathProblem) and the value may hold no
 * __proto__/constructor/prototype key: a UserError otherwise, before anything is written. A list
 * index may name an item or the one after the last.
 */
export function setPath<T>(obj: T, path: string, value: unknown): T {
  const problem = specPathProblem(path)
  if (problem) throw new UserError(`${formatKey(path)}: ${problem}`)
  const unsafe = unsafeKeyPath(value)
  if (unsafe) throw new UserError(unsafeKeyProblem([...path.split('.'), ...unsafe]))
  if (!isObject(obj)) throw new UserError(`${formatKey(path)}: expected a spec object to set it in`)
  const copy = structuredClone(obj) as Record<string, unknown>
  const keys = path.split('.')
  let cur: Record<string, unknown> | unknown[] = copy
  for (const [i, key] of keys.entries()) {
    const last = i === keys.length - 1
    let slot: number | string = key
    if (Array.isArray(cur)) {
      const index = Number(key)
      if (index > cur.length) {
        throw new UserError(
          `${formatKey(path)}: index ${index} is past the end of '${keys.slice(0, i).join('.')}' (${cur.length} item(s))`,
        )
      }
      slot = index
    }
    const container = cur as Record<string | number, unknown>
    if (last) {
      // Own data properties only: every key here is a schema field name or a list index.
      Object.defineProperty(container, slot, { value, writable: true, enumerable: true, configurable: true })
      break
    }
    const existing = Object.hasOwn(container, slot) ? container[slot] : undefined
    const wantList = INDEX.test(keys[i + 1] as string)
    if (typeof existing === 'string' && !wantList)
      throw new UserError(wholeValueProblem(keys, i, existing, value))
    const next: Record<string, unknown> | unknown[] =
      wantList && Array.isArray(existing)
        ? existing
        : !wantList && isObject(existing)
          ? existing
          : wantList
            ? []
            : {}
    Object.defineProperty(container, slot, {
      value: next,
      writable: true,
      enumerable: true,
      configurable: true,
    })
    cur = next
  }
  return copy as T
}
