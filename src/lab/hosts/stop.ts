import { readFileSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { killAndRemoveCgroups, cgroupPids, removeLabCgroups } from './cgroups.js'
import { mapLimit } from './lab-files.js'
import { bridgePorts, removeBridge, removeHostNetwork } from './network.js'
import { pidAlive, signal, waitForExit } from './processes.js'
import { bridgeCreatedByLab, forgetBridge, otherClaims, removeClaim, withBridgeLock } from './registry.js'
import { unmount } from './rootfs.js'
import { readState, statePath, type HostState, type LabState } from './state.js'
import { requireRootOnLinux } from './require-root.js'

const POWEROFF_WAIT_MS = 10_000

function nspawnPid(host: HostState): number {
  try {
    return Number(readFileSync(host.nspawnPidFile, 'utf8').trim())
  } catch {
    return 0
  }
}

// TERM to the supervisor: it forwards it to nspawn, which powers the guest off cleanly; whatever is left after a
// bounded wait is killed through the host's cgroups, which hold every process the host ever started.
/** Powers the host's guest off and unmounts its root; its network, layers and directory stay. */
export async function stopGuest(host: HostState): Promise<void> {
  const pids = [host.supervisorPid, nspawnPid(host)].filter(pidAlive)
  const first = pids[0]
  if (first !== undefined) signal(first, 'SIGTERM')
  const left = await waitForExit([...pids, ...host.cgroups.flatMap(cgroupPids)], POWEROFF_WAIT_MS)
  for (const pid of left) signal(pid, 'SIGKILL')
  await killAndRemoveCgroups(host.cgroups)
  await unmount(host.root)
}

async function stopHost(host: HostState): Promise<void> {
  await stopGuest(host)
  await removeHostNetwork(host.netns, host.veth)
  rmSync(host.hostDir, { recursive: true, force: true })
}

/** Called holding the bridge lock, after this lab's claim is gone. */
async function releaseBridge(state: LabState): Promise<void> {
  const shared = otherClaims(state.labId).some((c) => c.bridge === state.bridge)
  if (shared || !bridgeCreatedByLab(state.bridge) || (await bridgePorts(state.bridge)).length > 0) return
  await removeBridge(state.bridge)
  forgetBridge(state.bridge)
}

/**
 * Stops every host recorded in DIR/state.json and removes what it used: processes, cgroups, overlay mounts, veths,
 * netns, and the bridge when a lab made it and no other lab uses it. Idempotent; also cleans up after a run that was
 * killed with -9. Keeps the lab's client key.
 */
export async function stopHosts(dir: string): Promise<void> {
  requireRootOnLinux()
  const state = readState(resolve(dir))
  if (!state) return
  await mapLimit(state.hosts, 16, stopHost)
  removeLabCgroups(state.labId)
  await withBridgeLock(state.bridge, async () => {
    removeClaim(state.labId)
    await releaseBridge(state)
  })
  rmSync(statePath(state.dir), { force: true })
}
