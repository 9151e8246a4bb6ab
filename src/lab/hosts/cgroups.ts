import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { signal } from './processes.js'

/**
 * Hierarchies a host's nspawn must be moved into: on a cgroup v1 hybrid machine both `name=systemd` and the unified
 * cgroup2 mount (without systemd as PID 1 every nspawn would otherwise share one cgroup); on a pure cgroup2 machine
 * the one unified tree.
 */
export function cgroupRoots(mounts = readFileSync('/proc/mounts', 'utf8')): string[] {
  const entries = mounts.split('\n').map((l) => l.split(' '))
  const pureV2 = entries.find((e) => e[1] === '/sys/fs/cgroup' && e[2] === 'cgroup2')
  if (pureV2) return ['/sys/fs/cgroup']
  const named = entries.find((e) => e[2] === 'cgroup' && e[3]?.split(',').includes('name=systemd'))
  const unified = entries.find((e) => e[2] === 'cgroup2')
  return [named?.[1], unified?.[1]].filter((p): p is string => p !== undefined)
}

export function hostCgroups(labId: string, name: string): string[] {
  return cgroupRoots().map((root) => join(root, 'meshvm-lab', labId, name))
}

export function createCgroups(paths: string[]): void {
  for (const p of paths) mkdirSync(p, { recursive: true })
}

/** Pids in a cgroup and every cgroup below it (nspawn and the guest's systemd make sub-cgroups). */
export function cgroupPids(path: string): number[] {
  // the guest's systemd removes its sub-cgroups while it shuts down: one gone (ENOENT) or going (ENODEV) between
  // listing and reading is empty
  const own = ifPresent(() => readFileSync(join(path, 'cgroup.procs'), 'utf8'), '').split('\n').filter(Boolean).map(Number)
  return own.concat(subdirs(path).flatMap((d) => cgroupPids(join(path, d))))
}

function ifPresent<T>(read: () => T, absent: T): T {
  try {
    return read()
  } catch (e) {
    if (['ENOENT', 'ENODEV'].includes((e as NodeJS.ErrnoException).code ?? '')) return absent
    throw e
  }
}

function subdirs(path: string): string[] {
  return ifPresent(() => readdirSync(path, { withFileTypes: true }), [])
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
}

function removeTree(path: string): void {
  if (!existsSync(path)) return
  for (const d of subdirs(path)) removeTree(join(path, d))
  try {
    rmdirSync(path)
  } catch {
    // still populated; the caller retries
  }
}

/** SIGKILLs whatever is left in the cgroups and removes them (bounded retries while the kernel reaps). */
export async function killAndRemoveCgroups(paths: string[]): Promise<void> {
  for (let attempt = 0; attempt < 50 && paths.some(existsSync); attempt++) {
    for (const p of paths) for (const pid of cgroupPids(p)) signal(pid, 'SIGKILL')
    for (const p of paths) removeTree(p)
    if (paths.some(existsSync)) await sleep(100)
  }
}

/** Removes a lab's empty parent cgroups (meshvm-lab/<labId>, and meshvm-lab itself when no lab is left). */
export function removeLabCgroups(labId: string): void {
  for (const root of cgroupRoots()) {
    for (const p of [join(root, 'meshvm-lab', labId), join(root, 'meshvm-lab')]) {
      try {
        rmdirSync(p)
      } catch {
        // absent, or another lab's hosts are still inside
      }
    }
  }
}
