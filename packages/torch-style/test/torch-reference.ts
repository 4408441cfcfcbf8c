import { spawnSync } from 'node:child_process'

/** Why /usr/bin/python3 with torch cannot run here, or null (finds torch without its slow import). */
export function pythonTorch(): string | null {
  const r = spawnSync('/usr/bin/python3', [
    '-c',
    'import importlib.util as u; exit(u.find_spec("torch") is None)',
  ])
  if (r.error) return `/usr/bin/python3: ${r.error.message}`
  return r.status === 0 ? null : 'no torch module for /usr/bin/python3'
}

/** Runs torch_reference.py on `jobs` (see its docstring): each job's losses and lrs per epoch. */
export function torchReference(jobs: unknown[]): { losses: number[]; lrs: number[] }[] {
  const py = spawnSync('/usr/bin/python3', [new URL('./torch_reference.py', import.meta.url).pathname], {
    input: JSON.stringify(jobs),
    encoding: 'utf8',
  })
  if (py.status !== 0) throw new Error(`torch_reference.py: ${py.stderr}`)
  return JSON.parse(py.stdout)
}
