// The 1,000-VM stand-in: more VMs than this machine can boot as lab hosts, for meshvm's own costs at that size.
// `--hosts H` lab hosts each serve `--per-host K` stand-in VMs (bench/standin/setup-host.sh: K sshd, each in a mount
// namespace of its own where the files the onboard playbook writes are that instance's own), so H x K VMs, each a
// distinct SSH endpoint, identity, bundle and token. meshvm runs bench/standin/onboard.yaml (the onboard playbook
// without starting the sidecar: the instances of a host share its systemd and network) with the 30 MiB package, in a
// cgroup of its own as bench/fleet.mjs runs its contenders: wall, controller CPU, peak PSS; then the no-op re-run.
// Usage (root, after a build): node bench/standin.mjs [--hosts 50] [--per-host 20] [--forks 100] [--payload-mib 30]
//   [--dir DIR] [--json FILE] [--connect-timeout S]
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve, dirname } from 'node:path'
import { parseArgs } from 'node:util'
import { parse, stringify } from 'yaml'
import { removeParentCgroup, runInCgroup, stopCurrent } from './controller.mjs'
import { cpuDelta, cpuSnapshot, labCgroup, labDown, machineInfo, repo, run, stopOnSignals } from './measure.mjs'

const { values: o } = parseArgs({
  options: {
    hosts: { type: 'string', default: '50' },
    'per-host': { type: 'string', default: '20' },
    forks: { type: 'string', default: '100' },
    'payload-mib': { type: 'string', default: '30' },
    dir: { type: 'string' },
    json: { type: 'string' },
    // a loaded machine's VMs can take longer than OpenSSH's 15 s default to answer 100 handshakes at once
    'connect-timeout': { type: 'string', default: '15' },
  },
})
const hostCount = Number(o.hosts)
const perHost = Number(o['per-host'])
const n = hostCount * perHost
const dir = o.dir ?? join(mkdtempSync('/tmp/meshvm-standin-'), 'lab')
const out = `${dir}.bench`
mkdirSync(out, { recursive: true })
const cgroupParent = `meshvm-standin-${process.pid}`
const log = (s) => console.error(`standin: ${new Date().toISOString().slice(11, 19)} ${s}`)
const interrupted = stopOnSignals(log, stopCurrent)
const lab = { inventory: join(dir, 'inventory.yaml'), key: join(dir, 'id_ed25519'), known: join(dir, 'known_hosts') }

async function meshvmCli(args, what) {
  const r = await run(process.execPath, ['bin/meshvm.js', ...args], { timeoutMs: 15 * 60_000 })
  if (r.code !== 0) throw new Error(`${what} failed (${r.code ?? r.signal}):\n${r.stderr.slice(-3000)}`)
  return r
}

/** Runs setup-host.sh on one lab host as root over the lab's key. */
function setupHost(address) {
  return new Promise((resolveRun, reject) => {
    const ssh = ['-F', 'none', '-i', lab.key, '-o', `UserKnownHostsFile=${lab.known}`, '-o', 'BatchMode=yes']
    const child = spawn('ssh', [...ssh, `root@${address}`, 'sh', '-s', String(perHost)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let text = ''
    child.stdout.on('data', (d) => (text += d))
    child.stderr.on('data', (d) => (text += d))
    child.on('close', (code) => (code === 0 ? resolveRun() : reject(new Error(`setup of ${address}: ${text.trim()}`))))
    child.stdin.end(readFileSync(join(repo, 'bench/standin/setup-host.sh')))
  })
}

async function mapLimit(items, limit, fn) {
  let next = 0
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++])
    }),
  )
}

/** The stand-in inventory: every instance a VM of its own; its mesh IP a distinct address of 198.19.0.0/16. */
function standinFiles(state) {
  const inventory = parse(readFileSync(lab.inventory, 'utf8'))
  const keyOf = new Map(
    readFileSync(lab.known, 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.split(' ')[0], l.split(' ').slice(1).join(' ')]),
  )
  const known = []
  const vms = {}
  state.hosts.forEach((h, i) => {
    for (let j = 0; j < perHost; j++) {
      const port = 2201 + j
      const k = i * perHost + j
      vms[`${h.name}-${j}`] = { address: h.address, port, internalIP: `198.19.${Math.floor(k / 250)}.${(k % 250) + 1}` }
      known.push(`[${h.address}]:${port} ${keyOf.get(h.address)}\n`)
    }
  })
  inventory.vms = vms
  // no sidecar runs, so none registers: meshvm does not wait for istiod to
  inventory.defaults.autoregister = false
  inventory.defaults.knownHostsFile = join(out, 'known_hosts')
  inventory.defaults.package.file = resolve(dirname(lab.inventory), inventory.defaults.package.file)
  writeFileSync(join(out, 'known_hosts'), known.join(''))
  writeFileSync(join(out, 'inventory.yaml'), stringify(inventory))
  return join(out, 'inventory.yaml')
}

const results = {
  date: new Date().toISOString(),
  machine: machineInfo(),
  hosts: hostCount,
  perHost,
  vms: n,
  forks: Number(o.forks),
  runs: [],
}
try {
  log(`lab up --vms ${hostCount} --payload-mib ${o['payload-mib']} in ${dir}`)
  results.labUpMs = (
    await meshvmCli(
      ['lab', 'up', '--vms', String(hostCount), '--dir', dir, '--payload-mib', o['payload-mib']],
      'lab up',
    )
  ).wallMs
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'))
  const clusterPid = Number(readFileSync(join(dir, 'cluster', 'pid'), 'utf8'))
  log(`${perHost} instances on each of ${hostCount} hosts`)
  const setupStarted = Date.now()
  await mapLimit(state.hosts, 8, (h) => setupHost(h.address))
  results.setupMs = Date.now() - setupStarted
  const inventory = standinFiles(state)
  const sshConfig = join(out, 'ssh_config')
  writeFileSync(sshConfig, `Host *\n  ConnectTimeout ${o['connect-timeout']}\n`)
  for (const phase of ['fresh', 'rerun']) {
    if (interrupted()) throw new Error('interrupted')
    const label = `meshvm-${phase}`
    const report = join(out, `${label}.report.json`)
    const args = [
      'onboard',
      '-i',
      inventory,
      '--kubeconfig',
      join(dir, 'kubeconfig'),
      '--playbook',
      join(repo, 'bench/standin/onboard.yaml'),
      '--ssh-config',
      sshConfig,
      '--forks',
      o.forks,
      '--output',
      'plain',
      '--report',
      report,
    ]
    const before = cpuSnapshot({ cgroup: labCgroup(state), clusterPid })
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
    log(`${label}: running (load ${load})`)
    const r = await runInCgroup(cgroupParent, label, join(repo, 'bin/meshvm.js'), args, {
      env: {},
      timeoutMs: 40 * 60_000,
      stdoutFile: join(out, `${label}.out`),
    })
    const cpu = cpuDelta(before, cpuSnapshot({ cgroup: labCgroup(state), clusterPid }))
    const hosts = existsSync(report) ? Object.values(JSON.parse(readFileSync(report, 'utf8')).hosts) : []
    const bad = hosts.filter((h) => h.failed || h.unreachable).length
    const totals = existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')).totals : {}
    const { stderr, ...figures } = r
    results.runs.push({
      phase,
      loadAtStart: load,
      ...figures,
      vmsInReport: hosts.length,
      bad,
      changed: totals.changed,
      cpu,
    })
    log(
      `${label}: exit ${r.code}, ${(r.wallMs / 1000).toFixed(1)} s wall, ${(r.cpuMs / 1000).toFixed(1)} s CPU, ${Math.round(r.peakPssMiB)} MB peak PSS, ${hosts.length} VMs, ${bad} failed/unreachable, changed ${totals.changed}`,
    )
    if (r.code !== 0 || bad || hosts.length !== n)
      throw new Error(`${label}: not every VM onboarded:\n${stderr.slice(-3000)}`)
  }
} finally {
  removeParentCgroup(cgroupParent)
  if (existsSync(join(dir, 'state.json'))) results.labDownMs = await labDown(dir, log)
  writeFileSync(o.json ?? join(out, 'results.json'), JSON.stringify(results, null, 2) + '\n')
  log(`outputs in ${out}`)
}
for (const r of results.runs)
  console.log(
    `${n} VMs (${hostCount} hosts x ${perHost}), ${r.phase}: ${(r.wallMs / 1000).toFixed(1)} s wall, ` +
      `controller CPU ${(r.cpuMs / 1000).toFixed(1)} s (${(r.cpuMs / n).toFixed(1)} ms per VM), peak PSS ${Math.round(r.peakPssMiB)} MB, ` +
      `VMs' CPU ${((r.cpu.vms ?? 0) / 1000).toFixed(1)} s, changed ${r.changed}, load at start ${r.loadAtStart}`,
  )
