import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { ensureBase, startHosts, stopHosts } from '../../src/lab/hosts/index.js'
import type { LabHost, LabHosts, SshTarget } from '../../src/lab/hosts/index.js'
import { pidAlive } from '../../src/lab/hosts/processes.js'
import { otherClaims } from '../../src/lab/hosts/registry.js'
import { runStatus, type RunResult } from '../../src/lab/hosts/run.js'
import { sshArgs } from '../../src/lab/hosts/ssh-login.js'

/** Why lab tests are skipped, or false when they can run (they need root on Linux). */
export const labSkipReason: string | false =
  process.platform !== 'linux' || process.getuid?.() !== 0
    ? 'lab hosts need root on Linux: run the tests as root'
    : false

const TEST_LAB_PREFIX = '/tmp/meshvm-lab-test-'

/** Labs of test processes that were killed before their finally ran (their hosts would run forever otherwise). */
export async function stopOrphanedTestLabs(): Promise<void> {
  for (const claim of otherClaims()) {
    if (!claim.dir.startsWith(TEST_LAB_PREFIX) || pidAlive(claim.ownerPid)) continue
    await stopHosts(claim.dir)
    rmSync(claim.dir, { recursive: true, force: true })
  }
}

/** A lab host a test can ssh to. */
export type TestHost = LabHost & SshTarget

/** Boots `count` fresh lab hosts in a new /tmp dir, runs `fn`, and always stops them and removes the dir. */
export async function withLabHosts<T>(count: number, fn: (hosts: TestHost[], lab: LabHosts) => Promise<T>): Promise<T> {
  await stopOrphanedTestLabs()
  const dir = mkdtempSync(TEST_LAB_PREFIX)
  try {
    const baseDir = await ensureBase(undefined, (line) => console.log(`# ${line}`))
    const lab = await startHosts({ dir, count, baseDir })
    const hosts = lab.hosts.map((h) => ({ ...h, keyFile: lab.keyFile, knownHostsFile: lab.knownHostsFile }))
    return await fn(hosts, lab)
  } finally {
    await stopHosts(dir)
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Runs `cmd` on `host` as `user` (default admin) with the openssh client; never throws on a non-zero exit. */
export function sshRun(
  host: TestHost,
  cmd: string,
  options: { user?: string; input?: Buffer | string } = {},
): Promise<RunResult> {
  return runStatus('ssh', [...sshArgs({ ...host, user: options.user ?? host.user }), cmd], { input: options.input })
}

/** What a lab left on the machine: processes in its cgroups, netns, veths, overlay mounts, the bridge. Empty when clean. */
export async function labLeftovers(labId: string, dir: string, bridge = 'mvlab0'): Promise<string[]> {
  const left: string[] = []
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let cgroup = ''
    try {
      cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    } catch {
      continue // exited while we looked
    }
    // a zombie is already dead; reaping it is its new parent's (the machine's init's) business
    if (cgroup.includes(`/meshvm-lab/${labId}/`) && pidAlive(Number(pid))) left.push(`process ${pid}`)
  }
  const netns = (await runStatus('ip', ['netns', 'list'])).stdout
  left.push(
    ...netns
      .split('\n')
      .filter((l) => l.includes(labId))
      .map((l) => `netns ${l}`),
  )
  const links = (await runStatus('ip', ['-o', 'link'])).stdout.split('\n')
  left.push(...links.filter((l) => l.includes(`mv${labId}`)).map((l) => `link ${l.split(':')[1]?.trim()}`))
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n')
  left.push(...mounts.filter((m) => m.includes(dir)).map((m) => `mount ${m.split(' ')[1]}`))
  const otherLabUsesBridge = otherClaims(labId).some((c) => c.bridge === bridge)
  if (!otherLabUsesBridge && links.some((l) => l.split(':')[1]?.trim() === bridge)) left.push(`bridge ${bridge}`)
  return left
}
