// Benchmark: `meshvm onboard` of N lab VMs: fresh run, no-op re-run, the per-VM floor, offboard. See bench/README.md.
// Usage (root): node bench/onboard.mjs [--vms 50] [--forks 50] [--payload-mib 0|30] [--keep] [--no-offboard]
//                                      [--cpu-prof] [--dir DIR] [--json FILE]
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { formatTop, topSelfTime } from './cpu-profile.mjs'
import { cpuDelta, cpuSnapshot, labCgroup, labDown, machineInfo, run, runMeshvm, stopOnSignals } from './measure.mjs'
import { hostPhases, perVmFloor } from './phases.mjs'

const { values: o } = parseArgs({
  options: {
    vms: { type: 'string', default: '50' },
    forks: { type: 'string', default: '50' },
    'payload-mib': { type: 'string', default: '0' },
    keep: { type: 'boolean', default: false },
    'no-offboard': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    dir: { type: 'string' },
    json: { type: 'string' },
  },
})
const dir = o.dir ?? join(mkdtempSync('/tmp/meshvm-bench-'), 'lab')
// events, reports and profiles of the runs, kept after lab down
const out = `${dir}.bench`
mkdirSync(out, { recursive: true })
const RUN_TIMEOUT_MS = 20 * 60_000
const log = (s) => console.error(`bench: ${s}`)

const interrupted = stopOnSignals(log)

const sec = (ms) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`)
const msec = (ms) => (ms === undefined ? '-' : `${Math.round(ms)} ms`)
const cpuSec = (ms) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)}`)

async function meshvm(label, args, check) {
  if (interrupted()) throw new Error('interrupted')
  const nodeFlags = o['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', join(out, `prof-${label}`)] : []
  const counters = { cgroup: labCgroup(state), clusterPid: state.clusterPid }
  const before = cpuSnapshot(counters)
  log(`${label}: meshvm ${args[0]} ...`)
  const stdoutFile = join(out, `${label}.events.jsonl`)
  const r = await runMeshvm(args, { timeoutMs: RUN_TIMEOUT_MS, nodeFlags, stdoutFile })
  const cpu = cpuDelta(before, cpuSnapshot(counters))
  const events = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))
  const report = existsSync(args[args.indexOf('--report') + 1])
    ? JSON.parse(readFileSync(args[args.indexOf('--report') + 1], 'utf8'))
    : undefined
  const problem = check(r, report)
  if (problem) throw new Error(`${label}: ${problem}\n${r.stderr.slice(-2000)}`)
  const runStart = events.find((e) => e.type === 'run-start')
  const runEnd = events.find((e) => e.type === 'run-end')
  const profile = o['cpu-prof'] ? profileSummary(join(out, `prof-${label}`)) : undefined
  return {
    label,
    wallMs: r.wallMs,
    startupMs: runStart ? runStart.at - r.started : undefined,
    runMs: runEnd?.ms,
    ...r.rusage,
    cpu,
    totals: report?.totals,
    phases: hostPhases(events),
    profile,
  }
}

// The onboarded sidecars keep running; their CPU while nothing else happens is the background of the later runs.
async function idleVmsCpuPct() {
  const counters = { cgroup: labCgroup(state), clusterPid: state.clusterPid }
  const before = cpuSnapshot(counters)
  await new Promise((r) => setTimeout(r, 3000))
  const d = cpuDelta(before, cpuSnapshot(counters))
  return d.vms === undefined ? undefined : Math.round((100 * d.vms) / 3000)
}

function profileSummary(profDir) {
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))
  return file ? topSelfTime(join(profDir, file), 15) : undefined
}

const fleetArgs = (cmd, report) => [
  cmd,
  '-i',
  join(dir, 'inventory.yaml'),
  '--kubeconfig',
  join(dir, 'kubeconfig'),
  '--forks',
  o.forks,
  '--output',
  'json',
  '--report',
  join(out, report),
  ...(cmd === 'offboard' ? ['--yes'] : []),
]

const n = Number(o.vms)
const allDone = (want) => (r, report) => {
  if (r.code !== 0) return `exit code ${r.code ?? r.signal}`
  if (!report) return 'no report written'
  const hosts = Object.values(report.hosts)
  if (hosts.length !== n) return `report has ${hosts.length} hosts, expected ${n}`
  const bad = Object.entries(report.hosts).filter(([, h]) => h.failed || h.unreachable)
  if (bad.length) return `failed or unreachable: ${bad.map(([name]) => name).join(', ')}`
  return want(report)
}

let state
const results = { date: new Date().toISOString(), machine: machineInfo(), vms: n, forks: Number(o.forks) }
results.payloadMiB = Number(o['payload-mib'])

try {
  log(`lab up --vms ${n} --payload-mib ${o['payload-mib']} in ${dir}`)
  const up = await run(
    process.execPath,
    ['bin/meshvm.js', 'lab', 'up', '--vms', String(n), '--dir', dir, '--payload-mib', o['payload-mib']],
    { timeoutMs: 10 * 60_000 },
  )
  if (up.code !== 0) throw new Error(`lab up failed (${up.code}):\n${up.stderr.slice(-2000)}`)
  results.labUpMs = up.wallMs
  state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'))
  state.clusterPid = Number(readFileSync(join(dir, 'cluster', 'pid'), 'utf8'))

  results.fresh = await meshvm(
    'fresh',
    fleetArgs('onboard', 'fresh.json'),
    allDone((rep) => (rep.totals.changed === 0 ? 'fresh onboard changed nothing' : undefined)),
  )
  results.idleVmsCpuPct = await idleVmsCpuPct()
  results.noop = await meshvm(
    'noop',
    fleetArgs('onboard', 'noop.json'),
    allDone(() => undefined),
  )
  results.floor = await perVmFloor(dir, state.hosts[0])
  if (!o['no-offboard'])
    results.offboard = await meshvm(
      'offboard',
      fleetArgs('offboard', 'offboard.json'),
      allDone(() => undefined),
    )
} finally {
  if (o.keep) log(`--keep: lab left running; remove it with: node bin/meshvm.js lab down --dir ${dir}`)
  else if (existsSync(join(dir, 'state.json'))) results.labDownMs = await labDown(dir, log)
}

log(`events, reports and profiles: ${out}`)
if (o.json) writeFileSync(o.json, JSON.stringify(results, null, 2) + '\n')
print(results)

function print(r) {
  const m = r.machine
  const host = `${m.cores} cores, ${m.memGiB} GiB, ${m.os}, node ${m.node}`
  console.log(`meshvm onboard bench, ${r.date.slice(0, 10)}: ${host}`)
  console.log(`load average at start: ${m.loadavg}; onboarded VMs idle: ${r.idleVmsCpuPct ?? '-'}% of one core`)
  const lab = `lab up ${sec(r.labUpMs)}, lab down ${sec(r.labDownMs)}`
  console.log(`${r.vms} VMs, forks ${r.forks}, payload ${r.payloadMiB} MiB; ${lab}`)
  const runs = [r.fresh, r.noop, r.offboard].filter(Boolean)
  const cols = ['', ...runs.map((x) => x.label)]
  const row = (name, f) => [name, ...runs.map(f)]
  const pct = (x) => (x.cpu.machineTotal ? `${Math.round((100 * x.cpu.machineBusy) / x.cpu.machineTotal)}%` : '-')
  const table = [
    cols,
    row('wall (meshvm process)', (x) => sec(x.wallMs)),
    row('  startup until run-start', (x) => sec(x.startupMs)),
    row('  run (first VM start to last end)', (x) => sec(x.runMs)),
    row('changed steps', (x) => String(x.totals?.changed ?? '-')),
    row('peak RSS (MiB)', (x) => (x.maxRssKiB ? String(Math.round(x.maxRssKiB / 1024)) : '-')),
    row('meshvm CPU user+sys (s)', (x) => cpuSec(x.userMs + x.sysMs)),
    row('meshvm event-loop delay p99/max (ms)', (x) => `${x.loopDelayP99Ms}/${x.loopDelayMaxMs}`),
    row("VMs' CPU, all hosts (s)", (x) => cpuSec(x.cpu.vms)),
    row("VMs' CPU per VM", (x) => msec(x.cpu.vms / r.vms)),
    row('lab cluster CPU (s)', (x) => cpuSec(x.cpu.cluster)),
    row('machine busy (of all cores)', pct),
    row('per VM: connect+facts (median)', (x) => msec(x.phases.firstStepMedianMs)),
    row('per VM: total (median/max)', (x) => `${msec(x.phases.hostMedianMs)}/${msec(x.phases.hostMaxMs)}`),
  ]
  for (const [kind, ms] of Object.entries(r.fresh?.phases.stepMedianMsByKind ?? {}))
    table.push(row(`per VM: ${kind} steps (median)`, (x) => msec(x.phases.stepMedianMsByKind[kind])))
  table.push(row('per VM: between steps (median)', (x) => msec(x.phases.gapMedianMs)))
  const w = table[0].map((_, i) => Math.max(...table.map((t) => t[i].length)))
  for (const t of table) console.log(t.map((c, i) => (i ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  '))
  if (r.floor) {
    const f = r.floor
    console.log(
      `per-VM floor on ${f.host}, by hand over OpenSSH on an idle lab (ms): ssh round trip ${f.sshMs}, ` +
        `push .deb ${f.pushMs}, dpkg -i ${f.dpkgMs}, chown -R ${f.chownMs}, systemctl enable --now ${f.startMs}, ` +
        `first XDS line ${f.xdsMs}; total ${f.sshMs + f.pushMs + f.dpkgMs + f.chownMs + f.startMs + f.xdsMs}`,
    )
    console.log(`  VM CPU: ssh login + \`true\` ${f.sshCpuMs} ms; dpkg + chown + start + XDS ${f.scriptCpuMs} ms`)
  }
  for (const x of runs.filter((x) => x.profile)) console.log(`\ntop self time, ${x.label}:\n${formatTop(x.profile)}`)
}
