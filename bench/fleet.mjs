// Benchmark: the same onboarding of N lab VMs by meshvm, by a tuned Ansible playbook and by raw OpenSSH, side by side
// in one run, each on freshly reset VMs, repeated with the contenders' order rotated; medians. See bench/README.md.
// Usage (root; bench/fleet.sh installs Ansible and builds first):
//   node bench/fleet.mjs [--vms 50] [--reps 3] [--payload-mib 30] [--forks N] [--only meshvm,ansible,raw]
//                        [--dir DIR] [--keep] [--json FILE] [--rtt 0,20,80]
//   --rtt: every contender reaches the VMs through bench/latency-proxy.mjs at each of these RTTs (ms), which also
//   counts connections and turnarounds per VM
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { removeParentCgroup, runInCgroup, stopCurrent } from './controller.mjs'
import { cpuDelta, cpuSnapshot, labCgroup, labDown, machineInfo, repo, run, stopOnSignals } from './measure.mjs'
import { medianOf, printLatencyTable, printTable, summarize } from './fleet-table.mjs'
import { proxiedFiles, startWan } from './wan.mjs'

const { values: o } = parseArgs({
  options: {
    vms: { type: 'string', default: '50' },
    reps: { type: 'string', default: '3' },
    'payload-mib': { type: 'string', default: '30' },
    forks: { type: 'string' },
    only: { type: 'string', default: 'meshvm,ansible,raw' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    json: { type: 'string' },
    rtt: { type: 'string' },
  },
})
const n = Number(o.vms)
const reps = Number(o.reps)
const forks = o.forks ?? o.vms
const contenders = o.only.split(',')
const rtts = o.rtt === undefined ? [undefined] : o.rtt.split(',').map(Number)
const dir = o.dir ?? join(mkdtempSync('/tmp/meshvm-fleet-'), 'lab')
const out = `${dir}.bench` // outputs of every run, kept after lab down
mkdirSync(out, { recursive: true })
const cgroupParent = `meshvm-bench-${process.pid}`
const RUN_TIMEOUT_MS = 30 * 60_000
const log = (s) => console.error(`bench: ${new Date().toISOString().slice(11, 19)} ${s}`)

for (const c of contenders)
  if (!['meshvm', 'ansible', 'raw'].includes(c))
    throw new Error(`--only: unknown contender "${c}" (meshvm, ansible, raw)`)
if (!Number.isInteger(n) || n < 1 || n > 500) throw new Error('--vms: a whole number from 1 to 500')
if (contenders.includes('ansible') && spawnSync('ansible-playbook', ['--version']).status !== 0)
  throw new Error("ansible-playbook not found: run bench/fleet.sh, which installs Debian's ansible package")

const interrupted = stopOnSignals(log, stopCurrent)

const lab = {
  inventory: join(dir, 'inventory.yaml'),
  kubeconfig: join(dir, 'kubeconfig'),
  key: join(dir, 'id_ed25519'),
  knownHosts: join(dir, 'known_hosts'),
}
const bundles = join(out, 'bundles')
let deb // the lab's sidecar package, known after lab up
// how the contenders reach the VMs: directly, or through the WAN proxy of the current RTT
let net = { inventory: lab.inventory, knownHosts: lab.knownHosts, endpoint: (h) => ({ host: h.address, port: 22 }) }
let wan

async function meshvmCli(args, what) {
  const r = await run(process.execPath, ['bin/meshvm.js', ...args], { timeoutMs: 10 * 60_000 })
  if (r.code !== 0) throw new Error(`${what} failed (${r.code ?? r.signal}):\n${r.stderr.slice(-3000)}`)
  return r
}

// --- the contenders: how each runs, and how its output proves it did the whole job -------------------------------

const ansibleCfg = join(out, 'ansible', 'ansible.cfg')
const ansibleHosts = join(out, 'ansible', 'hosts.yml')
const rawHosts = join(out, 'raw-hosts.txt')

function writeContenderFiles(hosts) {
  mkdirSync(join(out, 'ansible', 'cp'), { recursive: true })
  writeFileSync(
    ansibleCfg,
    [
      '[defaults]',
      `forks = ${forks}`,
      'gathering = explicit',
      'interpreter_python = /usr/bin/python3',
      'retry_files_enabled = False',
      'nocolor = True',
      // Ansible's default 12 s for the sudo prompt failed 23 of 50 VMs that were fine on a loaded machine; a limit
      // only, so it changes nothing while sudo answers in time
      'timeout = 60',
      `local_tmp = ${join(out, 'ansible', 'tmp')}`,
      '[ssh_connection]',
      'pipelining = True',
      `ssh_args = -F none -o ControlMaster=auto -o ControlPersist=60s -o IdentitiesOnly=yes -o BatchMode=yes` +
        ` -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${net.knownHosts}`,
      `control_path_dir = ${join(out, 'ansible', 'cp')}`,
      '',
    ].join('\n'),
  )
  const inventory = {
    all: {
      vars: { ansible_user: 'admin', ansible_ssh_private_key_file: lab.key, sidecar_deb: deb },
      hosts: Object.fromEntries(
        hosts.map((h) => {
          const { host, port } = net.endpoint(h)
          return [h.name, { ansible_host: host, ansible_port: port, bundle_dir: join(bundles, h.name) }]
        }),
      ),
    },
  }
  writeFileSync(ansibleHosts, JSON.stringify(inventory, null, 2)) // JSON is YAML
  writeFileSync(
    rawHosts,
    hosts.map((h) => `${h.name} ${net.endpoint(h).host} ${join(bundles, h.name)} ${net.endpoint(h).port}\n`).join(''),
  )
}

/** Every VM in the meshvm report, none failed or unreachable; `changed` summed. */
function meshvmOutcome(r, reportFile) {
  if (!existsSync(reportFile)) return { problem: 'no report written' }
  const report = JSON.parse(readFileSync(reportFile, 'utf8'))
  const hosts = Object.entries(report.hosts)
  const bad = hosts.filter(([, h]) => h.failed || h.unreachable).map(([name]) => name)
  if (r.code !== 0 || bad.length || hosts.length !== n)
    return {
      problem: `exit ${r.code}, ${hosts.length} VMs in the report, failed or unreachable: ${bad.join(' ') || '-'}`,
    }
  return { changed: report.totals.changed }
}

/** The PLAY RECAP: one line per VM with failed=0 and unreachable=0; `changed` summed. */
function ansibleOutcome(r, stdout) {
  const recap = [...stdout.matchAll(/^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)]
  const bad = recap.filter((m) => m[4] !== '0' || m[5] !== '0').map((m) => m[1])
  if (r.code !== 0 || bad.length || recap.length !== n)
    return {
      problem: `exit ${r.code}, ${recap.length} VMs in the recap, failed or unreachable: ${bad.join(' ') || '-'}`,
    }
  return { changed: recap.reduce((sum, m) => sum + Number(m[3]), 0) }
}

const contender = {
  meshvm: {
    rerun: true,
    // run as the installed `meshvm` runs: the executable itself, with the node flags of its #! line
    command: (label) => [
      join(repo, 'bin/meshvm.js'),
      [
        'onboard',
        '-i',
        net.inventory,
        '--kubeconfig',
        lab.kubeconfig,
        '--forks',
        forks,
        '--output',
        'plain',
        '--report',
        join(out, `${label}.report.json`),
      ],
    ],
    env: {},
    outcome: (r, label) => meshvmOutcome(r, join(out, `${label}.report.json`)),
  },
  ansible: {
    rerun: true,
    needsBundles: true,
    command: () => ['ansible-playbook', ['-i', ansibleHosts, join(repo, 'bench/ansible/onboard.yml')]],
    env: { ANSIBLE_CONFIG: ansibleCfg },
    outcome: (r, label) => ansibleOutcome(r, readFileSync(join(out, `${label}.out`), 'utf8')),
  },
  raw: {
    rerun: false,
    needsBundles: true,
    command: () => ['bash', [join(repo, 'bench/raw/onboard.sh'), rawHosts, deb, lab.key, net.knownHosts, 'admin']],
    env: {},
    outcome: (r) => (r.code === 0 ? { changed: undefined } : { problem: `exit ${r.code}: ${r.stderr.slice(-1000)}` }),
  },
}

async function measure(name, phase, rep) {
  if (interrupted()) throw new Error('interrupted')
  const c = contender[name]
  const label = `${name}-${phase}-${rep + 1}${wan ? `-${wan.rttMs}ms` : ''}`
  const [cmd, args] = c.command(label)
  const counters = { cgroup: labCgroup(state), clusterPid: state.clusterPid }
  await wan?.reset()
  const before = cpuSnapshot(counters)
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  log(`${label}: running (load ${load})`)
  const r = await runInCgroup(cgroupParent, label, cmd, args, {
    env: c.env,
    timeoutMs: RUN_TIMEOUT_MS,
    stdoutFile: join(out, `${label}.out`),
  })
  const cpu = cpuDelta(before, cpuSnapshot(counters))
  const perVm = wan ? perVmMedians(await wan.counts()) : undefined
  const outcome = c.outcome(r, label)
  const problem =
    outcome.problem ??
    (phase === 'fresh' && outcome.changed === 0 ? 'a fresh onboard changed nothing' : undefined) ??
    (phase === 'rerun' && outcome.changed !== 0 ? `the re-run changed ${outcome.changed}` : undefined)
  const { stderr, ...figures } = r
  const result = {
    contender: name,
    phase,
    rep: rep + 1,
    rttMs: wan?.rttMs,
    loadAtStart: load,
    ...figures,
    changed: outcome.changed,
    problem,
    cpu,
    perVm,
  }
  log(
    `${label}: ${(r.wallMs / 1000).toFixed(1)} s wall, ${(r.cpuMs / 1000).toFixed(1)} s controller CPU, ` +
      `${Math.round(r.peakPssMiB)} MB peak, VMs' CPU ${((cpu.vms ?? 0) / 1000).toFixed(1)} s, changed ${outcome.changed ?? '-'}` +
      (perVm
        ? `, per VM ${perVm.connections} connections, ${perVm.waits} waits, ${perVm.turnarounds} turnarounds`
        : ''),
  )
  if (problem) {
    // a failed run's figures stay in the JSON (results.runs, with `problem`), then the bench stops
    results.runs.push(result)
    throw new Error(`${label}: ${problem}\n${stderr.slice(-2000)}`)
  }
  return result
}

/** Per counter, the median over the VMs (every VM does the same work). */
function perVmMedians(counts) {
  const vms = Object.values(counts)
  return Object.fromEntries(Object.keys(vms[0]).map((k) => [k, medianOf(vms.map((c) => c[k]))]))
}

let state
const results = {
  date: new Date().toISOString(),
  machine: machineInfo(),
  vms: n,
  forks: Number(forks),
  reps,
  payloadMiB: Number(o['payload-mib']),
  runs: [],
  resetsMs: [],
}

try {
  log(`lab up --vms ${n} --payload-mib ${o['payload-mib']} in ${dir}`)
  const up = await meshvmCli(
    ['lab', 'up', '--vms', String(n), '--dir', dir, '--payload-mib', o['payload-mib']],
    'lab up',
  )
  results.labUpMs = up.wallMs
  state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'))
  state.clusterPid = Number(readFileSync(join(dir, 'cluster', 'pid'), 'utf8'))
  deb = join(dir, /file: (\S+)/.exec(readFileSync(lab.inventory, 'utf8'))[1])
  results.debMiB = Math.round(statSync(deb).size / 2 ** 20)

  for (const rtt of rtts) {
    if (rtt !== undefined) {
      wan = await startWan(state.hosts, rtt, out)
      const files = proxiedFiles(lab, wan, out)
      net = { ...files, endpoint: (h) => ({ host: '127.0.0.1', port: wan.ports.get(h.name) }) }
      log(`RTT ${rtt} ms: contenders go through the latency proxy`)
    }
    writeContenderFiles(state.hosts)
    for (let rep = 0; rep < reps; rep++) {
      const order = contenders.map((_, i) => contenders[(i + rep) % contenders.length])
      for (const name of order) {
        const reset = await meshvmCli(['lab', 'reset', '--dir', dir], 'lab reset')
        results.resetsMs.push(reset.wallMs)
        if (contender[name].needsBundles) {
          // the same files meshvm pushes, written first and not timed (tokens minted now, valid for the run)
          rmSync(bundles, { recursive: true, force: true })
          await meshvmCli(
            ['bundle', '-i', lab.inventory, '-o', bundles, '--kubeconfig', lab.kubeconfig],
            'meshvm bundle',
          )
        }
        results.runs.push(await measure(name, 'fresh', rep))
        if (contender[name].rerun) results.runs.push(await measure(name, 'rerun', rep))
      }
    }
    wan?.stop()
    wan = undefined
  }
} finally {
  wan?.stop()
  removeParentCgroup(cgroupParent)
  if (o.keep) log(`--keep: lab left running; remove it with: node bin/meshvm.js lab down --dir ${dir}`)
  else if (existsSync(join(dir, 'state.json'))) results.labDownMs = await labDown(dir, log)
  if (o.json) writeFileSync(o.json, JSON.stringify(results, null, 2) + '\n')
  writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 2) + '\n')
  log(`outputs of every run and results.json: ${out}`)
}

results.resetMedianMs = medianOf(results.resetsMs)
if (o.rtt === undefined) printTable(summarize(results), results)
else printLatencyTable(results)
