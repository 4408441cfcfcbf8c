#!/usr/bin/env bash
# The GPU check, for a GPU machine with Python and PyTorch (CUDA) but no Node and no registry: the
# bundle carries Node. Unpacks BUNDLE (pnpm bundle --dawn), lists the adapters and engines, checks
# both styles on the GPU against their cpu runs (seed-torch, within 1e-4), runs the bench suites
# with --device gpu next to PyTorch on CUDA, and writes DIR/gpu-check.json and DIR/gpu-check.txt.
# What the machine needs: docs/backends.md ("A GPU machine").
#
#   benchmarks/gpu-check.sh BUNDLE.tar.gz [--out DIR] [--quick] [--suite NAMES]
#
# Exit 0: both styles ran on the GPU within 1e-4 of their cpu runs and the bench has no failed row;
# 1: a parity gap or a failed row; 2: bad input, or no GPU engine here (the reason on one line).
set -euo pipefail

die() {
  echo "gpu-check: $*" >&2
  exit 2
}

bundle=''
out="gpu-check-$(date -u +%Y%m%dT%H%M%SZ)"
bench=()
while [ $# -gt 0 ]; do
  case $1 in
  --out) out=${2:?--out needs a folder}; shift 2 ;;
  --quick) bench+=(--quick); shift ;;
  --suite) bench+=(--suite "${2:?--suite needs names}"); shift 2 ;;
  -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  -*) die "unknown option '$1' (expected --out DIR, --quick, --suite NAMES)" ;;
  *) [ -z "$bundle" ] || die "one bundle expected, got '$bundle' and '$1'"; bundle=$1; shift ;;
  esac
done
[ -n "$bundle" ] || die 'usage: gpu-check.sh BUNDLE.tar.gz [--out DIR] [--quick] [--suite NAMES]'
[ -f "$bundle" ] || die "$bundle: no such file (make one with: pnpm bundle --dawn)"
[ ! -e "$out" ] || die "--out '$out': already there; name a new folder"

mkdir -p "$out/bundle"
tar -xzf "$bundle" -C "$out/bundle"
top=$(find "$out/bundle" -mindepth 1 -maxdepth 1 -type d -name 'dualfit-*-linux-x64' | head -n 1)
[ -n "$top" ] || die "$bundle: no dualfit-*-linux-x64 folder inside"
dualfit=$top/dualfit
node=$top/node/bin/node
spec=$top/app/node_modules/@dualfit/experiments/seed-torch.json
# The bench runs PyTorch under DUALFIT_PYTHON (default /usr/bin/python3): the first python3 on PATH
# here, where a GPU machine's PyTorch with CUDA usually is.
DUALFIT_PYTHON=${DUALFIT_PYTHON:-$(command -v python3 || echo /usr/bin/python3)}
export DUALFIT_PYTHON

echo "gpu-check: the machine" >&2
{
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
  else
    echo 'no nvidia-smi'
  fi
  "$DUALFIT_PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "device", torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)' 2>&1 | tail -n 1 || true
} >"$out/machine.txt"

echo "gpu-check: adapters and engines" >&2
"$dualfit" backends --format json >"$out/backends.json"
"$dualfit" backends >"$out/backends.txt"

echo "gpu-check: seed-torch on the GPU and on the CPU (parity)" >&2
# stderr kept in a file: SwiftShader's libwayland lines and the reason when no GPU engine runs.
"$dualfit" compare --spec "$spec" --device gpu --out "$out/compare-gpu" >"$out/compare-gpu.txt" 2>"$out/compare-gpu.err" ||
  die "compare --device gpu failed: $(tail -n 1 "$out/compare-gpu.err")"
"$dualfit" compare --spec "$spec" --device cpu --out "$out/compare-cpu" --quiet >/dev/null

echo "gpu-check: bench --device gpu ${bench[*]}" >&2
# Exit 1 from a failed --check is judged below with the rows; 2 is bad input or no engine.
code=0
"$dualfit" bench --device gpu --check "${bench[@]}" --out "$out/bench.json" >"$out/bench.txt" || code=$?
[ "$code" -le 1 ] || die "bench failed (exit $code)"

# One JSON and one table, with the bundle's own Node.
"$node" --input-type=module - "$out" <<'EOF'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
const out = process.argv[2]
const read = (f) => readFileSync(join(out, f), 'utf8')
const results = (d) => JSON.parse(read(`${d}/results.json`)).results
// As the testkit measures: |a - b| / max(|b|, 1e-3), over every epoch's loss and every weight.
const gap = (a, b) => Math.max(0, ...a.map((x, i) => Math.abs(x - b[i]) / Math.max(Math.abs(b[i]), 1e-3)))
const flat = (t) => t.weights.flatMap((l) => [...l.kernel, ...l.bias])
const cpu = results('compare-cpu')
const parity = results('compare-gpu').map((r, i) => {
  const ref = cpu[i].trials
  const loss = Math.max(...r.trials.map((t, j) => gap(t.history.loss, ref[j].history.loss)))
  const weights = Math.max(...r.trials.map((t, j) => gap(flat(t), flat(ref[j]))))
  const epochs = r.trials.every((t, j) => t.epochsRun === ref[j].epochsRun)
  const { id, software } = r.backend.engine
  return { backend: r.backend.id, engine: id, software: software ?? null, loss, weights, sameEpochs: epochs, ok: epochs && loss <= 1e-4 && weights <= 1e-4 }
})
const bench = JSON.parse(read('bench.json'))
const failed = bench.rows.filter((r) => r.error !== undefined).map((r) => `${r.suite} ${r.case} ${r.backend} ${r.engine}: ${r.error}`)
const doc = {
  kind: 'dualfit.gpu-check',
  date: new Date().toISOString(),
  machine: read('machine.txt').trim().split('\n'),
  backends: JSON.parse(read('backends.json')),
  parity,
  failed,
  bench,
}
const lines = [
  read('machine.txt').trim(),
  '',
  read('backends.txt').trimEnd(),
  '',
  ...parity.map((p) => `${p.ok ? 'PASS' : 'FAIL'}  parity ${p.backend} ${p.engine}${p.software ? ` (${p.software}, a software adapter)` : ''} vs cpu on seed-torch: loss ${p.loss.toExponential(1)}, weights ${p.weights.toExponential(1)}${p.sameEpochs ? '' : ', epochs differ'}; limit 1e-4`),
  '',
  read('bench.txt').trimEnd(),
  ...failed.map((f) => `FAILED ROW ${f}`),
]
for (const [name, text] of [['gpu-check.json', `${JSON.stringify(doc, null, 2)}\n`], ['gpu-check.txt', `${lines.join('\n')}\n`]]) {
  writeFileSync(join(out, `.${name}.tmp`), text)
  renameSync(join(out, `.${name}.tmp`), join(out, name))
}
process.stdout.write(`${lines.join('\n')}\n`)
process.exitCode = parity.every((p) => p.ok) && failed.length === 0 ? 0 : 1
EOF
