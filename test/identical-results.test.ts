/**
 * Issue 18's promise, "no behaviour change": every spec in experiments/ gives the same results.json,
 * byte for byte once the timings are taken out, as it did before the issue-18 refactor. The golden values
 * come from f69c8f2; 529909a (before the refactor) gave the same bytes except for the two fields that
 * issue 17 added to each summary's parity (`verdict`, `diverged`). Each spec runs once with the default backends (keras-style, torch-style, one worker);
 * its canonical results.json (see canonical()) must hash to the golden value in
 * fixtures/identical-results.json. The fixture also keeps a few readable anchors per backend (selected
 * lr, the refit's weights, final loss, ...) and a short hash of each top-level field of every result and
 * summary, so that a failure says what changed, not only that something did.
 *
 * Issue 19 changed results.json on purpose, and only so (checked field by field against f69c8f2's with
 * IDENTICAL_RESULTS_DUMP): each trial's new `testMseByOutput`, the summaries' `predictions` (every
 * report input and output; was `prediction`) and `testMseByOutput`, and keras-style's reworded
 * `engine.chosen`. The golden values now come from the issue-19 code: regenerate from the commit that
 * landed it (below, in place of f69c8f2).
 *
 * Issue 21 changed results.json on purpose, and only so (checked field by field against b5619d9's):
 * Adam under init 'keras' now follows Keras' own formula (epsilon added to sqrt(v), the bias
 * corrections in the step size) on every backend, which moves linear, seed-keras and sin-mlp's
 * numbers; each backend's settings gain the `optimizer` block; a parity verdict that fails with
 * nothing to name is calibrated by the first backend's own noise (its `noise`, the summaries'
 * `calibration`). The golden values now come from the issue-21 code, and cover the classification
 * specs of issue 20 too: regenerate from the commit that landed it.
 *
 * A later change moved only the summaries' parity of classify and seed-keras (checked field by field):
 * per-epoch errors within parity's float32 floor of each other now count as equal (numpy's allclose,
 * atol = floor), which changes where the curves part and their largest difference, not a verdict.
 * The golden values now come from that commit.
 *
 * The golden values were made on x64 Linux, Node 20 (fixture's `madeOn`). The numbers
 * come from float32 kernels (TF.js, ONNX Runtime) whose results may depend on the CPU's vector
 * instructions: if only the digests of a run on another kind of machine differ, regenerate there before
 * suspecting the code. To regenerate (from the reference commit, not from the code under test):
 *
 *   git worktree add /tmp/dualfit-base <the commit that landed issue 21>
 *   (cd /tmp/dualfit-base && pnpm install --frozen-lockfile --offline && pnpm build)
 *   cd test && DUALFIT_BIN=/tmp/dualfit-base/packages/cli/dist/bin.js UPDATE_GOLDEN=1 \
 *     npx vitest run identical-results.test.ts
 *   git worktree remove --force /tmp/dualfit-base
 *
 * DUALFIT_BIN runs another build's CLI (the specs stay this checkout's, except linear.json, which
 * `compare --data` takes from the build's own checkout: keep the two the same); IDENTICAL_RESULTS_DUMP=DIR
 * also writes each spec's canonical JSON to DIR, to diff two builds field by field (`diff A/x B/x`).
 * Runs the built CLI (`pnpm build` first); about 30 s on 2 cores, seed-keras.json (500 epochs at batch 1)
 * most of it.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { dualfit, fixture, type Run, tempDir } from './cli.js'

const EXPERIMENTS = fileURLToPath(new URL('../experiments/', import.meta.url))
const GOLDEN = fixture('identical-results.json')
const SPECS = readdirSync(EXPERIMENTS)
  .filter((f) => f.endsWith('.json') && f !== 'package.json')
  .sort()

/**
 * How a spec is run, where not `--spec experiments/<name>`. linear.json is the template that
 * `compare --data FILE -x .. -y ..` runs when no --spec is given (and only then names the experiment
 * after the data file), so it runs that way, as a user runs it: on the first 80 rows of vega-datasets'
 * cars (8 with a missing cell), copied into the run's folder and named by a relative path, since the
 * path given to --data is recorded in results.json.
 */
const RUN: Record<string, { file: string; args: string[] }> = {
  'linear.json': {
    file: 'cars-80.csv',
    args: [
      '--data',
      'cars-80.csv',
      '-x',
      'Horsepower,Weight_in_lbs',
      '-y',
      'Miles_per_Gallon',
      '--drop-missing',
    ],
  },
}

// biome-ignore lint/suspicious/noExplicitAny: results.json as parsed, whatever its schema version
type Json = any

/**
 * results.json without what depends on time or on the machine, key order and formatting kept (the file
 * is JSON.stringify(doc, null, 2) plus a newline; the test checks that too). Two runs of the same spec
 * on the same build differ only in these fields (checked at 529909a by running each spec twice):
 *   results[].trials[].timings   setupMs, trainMs, totalMs, usPerStep, epochMs, toQualityMs
 *   results[].totals             trainMs, wallMs
 *   summaries[]                  wallMs, usPerStep and toQuality.ms (the totals' and timings' times)
 * and results[].environment is removed too: Node version, CPU model, core count, not the code's doing.
 */
function canonical(text: string): string {
  const doc: Json = JSON.parse(text)
  for (const r of doc.results) {
    delete r.environment
    delete r.totals.trainMs
    delete r.totals.wallMs
    for (const t of r.trials) delete t.timings
  }
  for (const s of doc.summaries) {
    delete s.wallMs
    delete s.usPerStep
    if (s.toQuality) delete s.toQuality.ms
  }
  return `${JSON.stringify(doc, null, 2)}\n`
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** A short hash of each top-level field of each result and summary: names what differs. */
function parts(doc: Json): Record<string, string> {
  const out: Record<string, string> = {}
  const add = (prefix: string, o: Json) => {
    for (const [k, v] of Object.entries(o)) out[`${prefix}.${k}`] = sha256(JSON.stringify(v)).slice(0, 16)
  }
  for (const r of doc.results) add(`results.${r.backend.id}`, r)
  for (const s of doc.summaries) add(`summaries.${s.backend}`, s)
  return out
}

/** What a reader checks first, per backend: the selection, the refit and the early-stopping fit. */
function anchors(doc: Json): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const r of doc.results) {
    const refit = r.trials.find((t: Json) => t.stage === 'refit')
    const stop = r.trials.find((t: Json) => t.stage === 'early-stopping')
    const last = refit?.weights?.at(-1)
    out[r.backend.id] = {
      engine: r.backend.engine.id,
      trials: r.trials.length,
      selected: r.grid.points[r.selection.selected] ?? null,
      refit: refit && {
        epochsRun: refit.epochsRun,
        finalLoss: refit.finalLoss,
        testMse: refit.testMse,
        kernel: last?.kernel.slice(0, 2),
        bias: last?.bias,
        predicted: refit.predictions?.[0]?.y ?? null,
      },
      earlyStopping: stop ? { epochsRun: stop.epochsRun, finalLoss: stop.finalLoss } : null,
    }
  }
  return out
}

interface Golden {
  sha256: string
  specSha256: string
  anchors: Record<string, unknown>
  parts: Record<string, string>
}

const update = process.env.UPDATE_GOLDEN === '1'
const dump = process.env.IDENTICAL_RESULTS_DUMP
const golden: { specs: Record<string, Golden> } = update
  ? { specs: {} }
  : JSON.parse(readFileSync(GOLDEN, 'utf8'))
const made: Record<string, Golden> = {}
let madeOn: Json = null

/** The CLI under test: this checkout's build, or DUALFIT_BIN's (to make the golden values). */
function run(args: string[], cwd: string): Run {
  const bin = process.env.DUALFIT_BIN
  if (!bin) return dualfit(args, cwd)
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 120_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('no behaviour change (issue 18): experiments/ give the results of the reference commit, timings aside', () => {
  it.skipIf(update)('the fixture covers every spec in experiments/', () => {
    expect(Object.keys(golden.specs).sort()).toEqual(SPECS)
  })

  it.each(SPECS)('%s', (spec) => {
    const cwd = tempDir()
    const how = RUN[spec]
    if (how) copyFileSync(fixture(how.file), join(cwd, how.file))
    const args = how?.args ?? ['--spec', join(EXPERIMENTS, spec)]
    const r = run(['compare', ...args, '--out', 'out', '--quiet'], cwd)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toBe('')

    const text = readFileSync(join(cwd, 'out', 'results.json'), 'utf8')
    expect(text, 'results.json is written as JSON.stringify(doc, null, 2)').toBe(
      `${JSON.stringify(JSON.parse(text), null, 2)}\n`,
    )
    const canon = canonical(text)
    const doc = JSON.parse(canon)
    const specText = readFileSync(join(EXPERIMENTS, spec), 'utf8')
    for (const e of doc.results) expect(e.spec.description).toBe(JSON.parse(specText).description)
    if (dump) {
      mkdirSync(dump, { recursive: true })
      writeFileSync(join(dump, spec.replace(/\.json$/, '.canonical.json')), canon)
    }
    const got: Golden = {
      sha256: sha256(canon),
      specSha256: sha256(specText),
      anchors: anchors(doc),
      parts: parts(doc),
    }
    if (update) {
      made[spec] = got
      madeOn ??= JSON.parse(text).results[0].environment
      return
    }
    const want = golden.specs[spec]
    expect(want, `no golden values for ${spec}: see this file's header to make them`).toBeDefined()
    if (!want) return
    expect(got.specSha256, `${spec} changed since the golden values were made`).toBe(want.specSha256)
    const differing = Object.keys({ ...want.parts, ...got.parts }).filter(
      (k) => want.parts[k] !== got.parts[k],
    )
    expect({ anchors: got.anchors, differing }).toEqual({ anchors: want.anchors, differing: [] })
    expect(got.sha256).toBe(want.sha256)
  })

  afterAll(() => {
    if (!update) return
    const { node, platform, arch, cpu } = madeOn ?? {}
    const file = {
      $comment:
        "Golden digests for identical-results.test.ts: outputs of issue 21's code, which differ from b5619d9's only by the fields that file's header names. Regenerate as that file says.",
      commit: 'b5619d9 + issue 21',
      madeOn: { node, platform, arch, cpu },
      specs: made,
    }
    writeFileSync(GOLDEN, `${JSON.stringify(file, null, 2)}\n`)
    // In the layout `biome check` expects (short arrays on one line).
    const biome = fileURLToPath(new URL('../node_modules/.bin/biome', import.meta.url))
    expect(spawnSync(biome, ['format', '--write', GOLDEN], { encoding: 'utf8' }).status).toBe(0)
  })
})
