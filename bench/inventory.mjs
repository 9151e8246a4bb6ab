// How long meshvm takes to read and check a large inventory (parse the YAML, check every field, resolve every VM),
// and what it holds in memory afterwards. Usage (after a build): node bench/inventory.mjs [--vms 10000] [--groups 50]
//   [--reps 5]. Prints wall and CPU time (CPU is what holds on a loaded machine): the first read (cold), then the
//   median of the others. Profile with: node --cpu-prof --cpu-prof-dir=DIR bench/inventory.mjs; bench/cpu-profile.mjs.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { readInventory } from '../dist/src/inventory/read.js'
import { inventoryText } from './inventory-text.mjs'

const { values: o } = parseArgs({
  options: {
    vms: { type: 'string', default: '10000' },
    groups: { type: 'string', default: '50' },
    reps: { type: 'string', default: '5' },
  },
})
const n = Number(o.vms)
const groups = Number(o.groups)

const dir = mkdtempSync(join(tmpdir(), 'meshvm-inv-bench-'))
try {
  const file = join(dir, 'inventory.yaml')
  writeFileSync(file, inventoryText(n, groups))
  const times = []
  const cpus = []
  for (let r = 0; r < Number(o.reps); r++) {
    const t = performance.now()
    const c = process.cpuUsage()
    const inv = await readInventory(file)
    times.push(performance.now() - t)
    const used = process.cpuUsage(c)
    cpus.push((used.user + used.system) / 1000)
    if (inv.vms.length !== n) throw new Error(`read ${inv.vms.length} VMs, expected ${n}`)
  }
  const median = (list) => {
    const sorted = list.slice(1).sort((a, b) => a - b)
    return sorted.length ? sorted[Math.floor(sorted.length / 2)] : list[0]
  }
  globalThis.gc?.()
  const heapMiB = process.memoryUsage().heapUsed / 2 ** 20
  console.log(
    `inventory of ${n} VMs in ${groups} groups (${Math.round((n * 60) / 1024)} KiB): first read ${times[0].toFixed(0)} ms ` +
      `(CPU ${cpus[0].toFixed(0)} ms), median of the next ${times.length - 1}: ${median(times).toFixed(0)} ms (CPU ` +
      `${median(cpus).toFixed(0)} ms); load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}; heap after ${heapMiB.toFixed(0)} MiB; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
}
