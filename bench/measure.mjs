// Process and CPU accounting for bench/onboard.mjs: runs meshvm as a child with a deadline, and snapshots the CPU
// time of the lab's VMs (their cgroup), the lab cluster process and the whole machine, so a run's CPU can be split
// between meshvm, the VMs' own work and the rest.
import { spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repo = fileURLToPath(new URL('..', import.meta.url))
const hook = fileURLToPath(new URL('./rusage-hook.mjs', import.meta.url))
const CLK_TCK = 100 // Linux USER_HZ on every architecture Node supports

/** The child being waited for, so a signal handler can end it (by PID) before the lab goes down. */
export const running = { child: undefined }

/**
 * Runs `cmd args`, collecting stdout (or sending it to the file descriptor `stdoutFd`); kills the child (by PID) past
 * `timeoutMs`.
 */
export function run(cmd, args, { timeoutMs, env, input, stdoutFd } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const stdio = ['pipe', stdoutFd ?? 'pipe', 'pipe']
    const child = spawn(cmd, args, { cwd: repo, env: { ...process.env, ...env }, stdio })
    running.child = child
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.stdin.on('error', () => {})
    if (input) child.stdin.end(input)
    else child.stdin.end()
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs ?? 600_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      running.child = undefined
      resolve({ code, signal, stdout, stderr, started, wallMs: Date.now() - started })
    })
  })
}

/**
 * Runs `node bin/meshvm.js args` with the rusage hook (and `nodeFlags`, e.g. --cpu-prof); adds its own figures.
 * Its stdout goes to `stdoutFile`, not a pipe: Node writes to a pipe synchronously, so a pipe would make meshvm wait
 * for this process to be scheduled and read.
 */
export async function runMeshvm(args, { timeoutMs, nodeFlags = [], stdoutFile }) {
  const rusageFile = `/tmp/meshvm-bench-rusage-${process.pid}.json`
  rmSync(rusageFile, { force: true })
  const fd = openSync(stdoutFile, 'w')
  try {
    const r = await run(process.execPath, [...nodeFlags, '--import', hook, 'bin/meshvm.js', ...args], {
      timeoutMs,
      env: { MESHVM_BENCH_RUSAGE: rusageFile },
      stdoutFd: fd,
    })
    const rusage = existsSync(rusageFile) ? JSON.parse(readFileSync(rusageFile, 'utf8')) : undefined
    return { ...r, stdout: readFileSync(stdoutFile, 'utf8'), rusage }
  } finally {
    closeSync(fd)
    rmSync(rusageFile, { force: true })
  }
}

function cgroupUsageMs(dir) {
  if (!dir || !existsSync(join(dir, 'cpu.stat'))) return undefined
  const line = readFileSync(join(dir, 'cpu.stat'), 'utf8').match(/^usage_usec (\d+)/m)
  return line ? Number(line[1]) / 1000 : undefined
}

/** utime+stime of a process and its reaped children, in ms. */
function processCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / CLK_TCK
  } catch {
    return undefined
  }
}

/** Busy and total CPU time of the machine (all cores), in ms. */
function machineCpuMs() {
  const [, ...f] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
  const n = f.map(Number)
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0)
  const idle = n[3] + n[4]
  return { busy: ((total - idle) * 1000) / CLK_TCK, total: (total * 1000) / CLK_TCK }
}

/** CPU used so far by one lab host (everything in its cgroup: sshd, sudo, dpkg, systemd, the sidecar), in ms. */
export function hostCpuMs(host) {
  return cgroupUsageMs(host.cgroups?.find((c) => existsSync(join(c, 'cpu.stat'))))
}

/** The lab's parent cgroup holding all its hosts (cgroup2 keeps cpu.stat without any controller enabled). */
export function labCgroup(state) {
  const withStat = (state.hosts[0]?.cgroups ?? []).find((c) => existsSync(join(c, 'cpu.stat')))
  return withStat ? join(withStat, '..') : undefined
}

export function cpuSnapshot({ cgroup, clusterPid }) {
  return { vms: cgroupUsageMs(cgroup), cluster: processCpuMs(clusterPid), machine: machineCpuMs() }
}

/** CPU used between two snapshots, in ms; `undefined` where a counter was unavailable. */
export function cpuDelta(a, b) {
  const d = (x, y) => (x === undefined || y === undefined ? undefined : y - x)
  return {
    vms: d(a.vms, b.vms),
    cluster: d(a.cluster, b.cluster),
    machineBusy: b.machine.busy - a.machine.busy,
    machineTotal: b.machine.total - a.machine.total,
  }
}

/** The machine a bench ran on, and how loaded it was at the start. */
export function machineInfo() {
  const os = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="(.*)"/m)?.[1]
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  return { cores: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), os, node: process.version, loadavg: load }
}

/**
 * `meshvm lab down --dir DIR`, a few attempts (a down that races the hosts' own shutdown can fail once and succeed
 * when run again); returns the wall time of the attempt that worked, or undefined (and says how to finish by hand).
 */
export async function labDown(dir, log) {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const down = await run(process.execPath, ['bin/meshvm.js', 'lab', 'down', '--dir', dir], { timeoutMs: 5 * 60_000 })
    if (down.code === 0) return down.wallMs
    log(`lab down attempt ${attempt} failed (${down.code}): ${down.stderr.split('\n').slice(0, 2).join(' ')}`)
  }
  log(`the lab is still up: node bin/meshvm.js lab down --dir ${dir}`)
  return undefined
}

/**
 * On SIGINT/SIGTERM: logs, ends the running child (by PID) and calls `stop` (e.g. for a contender's cgroup); the
 * bench checks `interrupted()` before its next step and then takes the lab down.
 */
export function stopOnSignals(log, stop = () => {}) {
  let interrupted = false
  for (const sig of ['SIGINT', 'SIGTERM'])
    process.on(sig, () => {
      interrupted = true
      log(`${sig}: stopping the current step, then lab down`)
      running.child?.kill('SIGTERM')
      void stop()
    })
  return () => interrupted
}
