export async function time(f, chunks = 15, n = 2000) {
  for (let i = 0; i < 500; i++) await f()
  const r = []
  for (let c = 0; c < chunks; c++) { const t = performance.now(); for (let i = 0; i < n; i++) await f(); r.push((performance.now() - t) * 1000 / n) }
  r.sort((a, b) => a - b)
  return `med ${r[r.length >> 1].toFixed(2)} min ${r[0].toFixed(2)}`
}
