// Runs one contender of bench/fleet.mjs in a cgroup of its own, so everything it starts on the controller is counted
// (Ansible's forks, every ssh and scp client, ControlPersist masters that leave the process tree): CPU from cgroup2's
// cpu.stat, memory as the peak of the summed PSS of its processes, sampled. PSS, not RSS: Ansible's forks share most
// of their pages with their parent, and summing their RSS would count those pages once per fork.
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { repo } from './measure.mjs'

const SAMPLE_MS = 250

/** The cgroup2 mount: /sys/fs/cgroup on a pure cgroup2 machine, /sys/fs/cgroup/unified on a hybrid one. */
function cgroup2Root() {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
  const root = mounts.find((m) => m[2] === 'cgroup2')?.[1]
  if (!root) throw new Error('bench: no cgroup2 mount (needed to count the controller processes of each contender)')
  return root
}

const procsOf = (cg) => {
  try {
    return readFileSync(join(cg, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number)
  } catch {
    return []
  }
}

function pssKiB(pid) {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0)
  } catch {
    return 0 // exited between the listing and the read
  }
}

const usageMs = (cg) => Number(/^usage_usec (\d+)/m.exec(readFileSync(join(cg, 'cpu.stat'), 'utf8'))[1]) / 1000

/** SIGKILLs whatever is left in the cgroup (by PID) and removes it; bounded. */
async function emptyAndRemove(cg) {
  for (let attempt = 0; attempt < 100 && existsSync(cg); attempt++) {
    for (const pid of procsOf(cg)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    try {
      rmdirSync(cg)
    } catch {
      await sleep(50)
    }
  }
}

/** The cgroup of the contender running now, so a signal handler can end it. */
export const current = { cgroup: undefined }

/** Kills the running contender and everything it started. */
export const stopCurrent = () => current.cgroup && emptyAndRemove(current.cgroup)

/**
 * Runs `cmd args` (cwd: the repository) in a fresh cgroup under `parent`; stdout goes to `stdoutFile`, not a pipe
 * (a pipe makes the contender wait for this process to be scheduled). Returns exit status, wall time, the cgroup's
 * CPU time at the contender's exit, the peak summed PSS and process count, and the tail of stderr. Whatever the
 * contender leaves running (ControlPersist masters) is killed afterwards, by PID.
 */
export async function runInCgroup(parent, label, cmd, args, { env, timeoutMs, stdoutFile }) {
  const cg = join(cgroup2Root(), parent, label)
  mkdirSync(cg, { recursive: true })
  current.cgroup = cg
  const out = openSync(stdoutFile, 'w')
  let peakPssKiB = 0
  let peakProcs = 0
  let samplingMs = 0
  const sample = () => {
    const t = performance.now()
    const pids = procsOf(cg)
    peakProcs = Math.max(peakProcs, pids.length)
    peakPssKiB = Math.max(
      peakPssKiB,
      pids.reduce((sum, pid) => sum + pssKiB(pid), 0),
    )
    samplingMs += performance.now() - t
  }
  try {
    return await new Promise((resolve, reject) => {
      const started = Date.now()
      // the shell moves itself into the cgroup, then becomes the contender: every descendant is born inside
      const child = spawn('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cg, cmd, ...args], {
        cwd: repo,
        env: { ...process.env, ...env },
        stdio: ['ignore', out, 'pipe'],
      })
      let stderr = ''
      child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-20_000)))
      const sampler = setInterval(sample, SAMPLE_MS)
      const timer = setTimeout(() => void emptyAndRemove(cg), timeoutMs)
      child.on('error', reject)
      child.on('close', (code, signal) => {
        const wallMs = Date.now() - started
        clearInterval(sampler)
        clearTimeout(timer)
        const cpuMs = existsSync(cg) ? usageMs(cg) : undefined
        resolve({ label, code, signal, wallMs, cpuMs, peakPssMiB: peakPssKiB / 1024, peakProcs, samplingMs, stderr })
      })
    })
  } finally {
    closeSync(out)
    await emptyAndRemove(cg)
    current.cgroup = undefined
  }
}

/** Removes the bench's parent cgroup once its contenders' cgroups are gone. */
export function removeParentCgroup(parent) {
  try {
    rmdirSync(join(cgroup2Root(), parent))
  } catch {
    // absent
  }
}
