// Benchmark: `meshvm status` (or, with --command renew, a no-op `meshvm renew`) of N onboarded lab VMs against the
// no-op `meshvm onboard` of the same fleet (the issues' bar: no slower). Each is run `--rounds` times, alternating,
// on the same lab; `--vms 50,100` measures each size in the same run (one lab of the largest, --limit to the first N),
// and the 1-minute load average is sampled every 2 s while each command runs. See bench/README.md.
// Usage (root): node bench/status.mjs [--command status|renew] [--vms 100|50,100] [--forks 50] [--rounds 3] [--dir DIR] [--json FILE]
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { parse } from 'yaml'
import { cpuDelta, cpuSnapshot, labCgroup, labDown, machineInfo, run, runMeshvm, stopOnSignals } from './measure.mjs'

const { values: o } = parseArgs({
  options: {
    command: { type: 'string', default: 'status' },
    vms: { type: 'string', default: '100' },
    forks: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    dir: { type: 'string' },
    json: { type: 'string' },
  },
})
const dir = o.dir ?? join(mkdtempSync('/tmp/meshvm-bench-'), 'lab')
const out = `${dir}.bench`
mkdirSync(out, { recursive: true })
const log = (s) => console.error(`bench: ${s}`)
const interrupted = stopOnSignals(log)
const sizes = o.vms
  .split(',')
  .map(Number)
  .sort((a, b) => a - b)
const max = sizes[sizes.length - 1]
const common = ['-i', join(dir, 'inventory.yaml'), '--kubeconfig', join(dir, 'kubeconfig'), '--forks', o.forks]
let n = max
let limit = []

async function measure(label, args, check) {
  if (interrupted()) throw new Error('interrupted')
  const counters = { cgroup: labCgroup(state), clusterPid: state.clusterPid }
  const before = cpuSnapshot(counters)
  const load = [loadavg()[0]]
  const sampler = setInterval(() => load.push(loadavg()[0]), 2000)
  const r = await runMeshvm([...args, ...limit], { timeoutMs: 20 * 60_000, stdoutFile: join(out, `${label}.out`) })
  clearInterval(sampler)
  const cpu = cpuDelta(before, cpuSnapshot(counters))
  const problem = check(r)
  if (problem) throw new Error(`${label}: ${problem}\n${r.stderr.slice(-2000)}`)
  log(
    `${label}: ${(r.wallMs / 1000).toFixed(1)} s, load ${Math.min(...load).toFixed(1)}-${Math.max(...load).toFixed(1)}`,
  )
  return {
    wallMs: r.wallMs,
    cpuMs: r.rusage.userMs + r.rusage.sysMs,
    maxRssKiB: r.rusage.maxRssKiB,
    vmsCpuMs: cpu.vms,
    clusterCpuMs: cpu.cluster,
    load: { min: Math.min(...load), max: Math.max(...load) },
  }
}

const statusAllOk = (r) => {
  if (r.code !== 0) return `exit code ${r.code ?? r.signal}`
  const s = JSON.parse(r.stdout).summary
  return s.ok === n ? undefined : `not all ok: ${JSON.stringify(s)}`
}
// renew without --output prints one line; a no-op says so
const renewNoop = (r) =>
  r.code === 0 && /nothing to do/.test(r.stdout) ? undefined : `not a no-op: ${r.code} ${r.stdout.slice(-500)}`
const onboardOk = (r) => (r.code === 0 ? undefined : `exit code ${r.code ?? r.signal}`)

let state
const results = {
  date: new Date().toISOString(),
  machine: machineInfo(),
  forks: Number(o.forks),
  sizes: sizes.map((vms) => ({ vms, status: [], noop: [] })),
}
try {
  log(`lab up --vms ${max} in ${dir}`)
  const up = await run(process.execPath, ['bin/meshvm.js', 'lab', 'up', '--vms', String(max), '--dir', dir], {
    timeoutMs: 10 * 60_000,
  })
  if (up.code !== 0) throw new Error(`lab up failed (${up.code}):\n${up.stderr.slice(-2000)}`)
  state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'))
  state.clusterPid = Number(readFileSync(join(dir, 'cluster', 'pid'), 'utf8'))
  const fresh = await runMeshvm(['onboard', ...common, '--output', 'plain', '--report', join(out, 'fresh.json')], {
    timeoutMs: 20 * 60_000,
    stdoutFile: join(out, 'fresh.out'),
  })
  if (fresh.code !== 0) throw new Error(`fresh onboard failed (${fresh.code}):\n${fresh.stdout.slice(-2000)}`)
  const names = Object.keys(parse(readFileSync(join(dir, 'inventory.yaml'), 'utf8')).vms)
  for (const size of results.sizes) {
    n = size.vms
    limit = n < max ? ['--limit', names.slice(0, n).join(',')] : []
    for (let i = 0; i < Number(o.rounds); i++) {
      size.noop.push(
        await measure(
          `${n}-noop-${i + 1}`,
          ['onboard', ...common, '--output', 'json', '--report', join(out, `${n}-noop-${i + 1}.json`)],
          onboardOk,
        ),
      )
      size.status.push(
        o.command === 'renew'
          ? await measure(`${n}-renew-${i + 1}`, ['renew', ...common], renewNoop)
          : await measure(`${n}-status-${i + 1}`, ['status', ...common, '--output', 'json'], statusAllOk),
      )
    }
  }
} finally {
  if (existsSync(join(dir, 'state.json'))) await labDown(dir, log)
}

if (o.json) writeFileSync(o.json, JSON.stringify(results, null, 2) + '\n')
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const m = results.machine
console.log(
  `meshvm ${o.command} bench, ${results.date.slice(0, 10)}: ${m.cores} cores, ${m.memGiB} GiB, ${m.os}, node ${m.node}; load at start ${m.loadavg}`,
)
for (const { vms, status, noop } of results.sizes) {
  const both = [status, noop]
  const loads = [...status, ...noop].map((x) => x.load)
  console.log(
    `\n${vms} onboarded VMs, forks ${o.forks}, ${o.rounds} rounds (median; all rounds in the JSON); ` +
      `1-min load average while they ran: ${Math.min(...loads.map((l) => l.min)).toFixed(1)}-${Math.max(...loads.map((l) => l.max)).toFixed(1)}`,
  )
  const rows = [
    ['', o.command === 'renew' ? 'no-op renew' : 'status', 'no-op onboard'],
    ['wall (s)', ...both.map((r) => (median(r.map((x) => x.wallMs)) / 1000).toFixed(1))],
    ['wall, each round (s)', ...both.map((r) => r.map((x) => (x.wallMs / 1000).toFixed(1)).join(' '))],
    ['meshvm CPU user+sys (s)', ...both.map((r) => (median(r.map((x) => x.cpuMs)) / 1000).toFixed(1))],
    ['peak RSS (MiB)', ...both.map((r) => String(Math.round(median(r.map((x) => x.maxRssKiB)) / 1024)))],
    ["VMs' CPU, all hosts (s)", ...both.map((r) => (median(r.map((x) => x.vmsCpuMs ?? 0)) / 1000).toFixed(1))],
    ['lab cluster CPU (s)', ...both.map((r) => (median(r.map((x) => x.clusterCpuMs ?? 0)) / 1000).toFixed(1))],
  ]
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  for (const r of rows) console.log(r.map((c, i) => (i ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  '))
}
