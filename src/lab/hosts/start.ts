import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ExitError } from '../../errors.js'
import { createCgroups, hostCgroups } from './cgroups.js'
import {
  ensureClientKey,
  keyFileOf,
  knownHostsFileOf,
  labIdOf,
  mapLimit,
  raiseInotifyLimits,
  writeKnownHosts,
} from './lab-files.js'
import { addHostNetwork, bridgeAddress, ensureBridge, hostAddress, parseSubnet } from './network.js'
import { pidAlive } from './processes.js'
import { freeFirstIndex, markBridgeCreated, otherClaims, withBridgeLock, writeClaim } from './registry.js'
import { requireRootOnLinux } from './require-root.js'
import { ensureIdentity, isMounted, mountOverlay, type HostKeyPair } from './rootfs.js'
import { readState, writeState, type HostState, type LabState } from './state.js'
import { stopHosts } from './stop.js'
import { startSupervisor } from './supervisor.js'
import { waitForSshLogin } from './ssh-login.js'

/** Options of `startHosts`. */
export interface StartHostsOptions {
  /** The lab directory: state.json, the client key, known_hosts and each host's overlay layers live here. */
  dir: string
  count: number
  /** The base rootfs from `ensureBase`. */
  baseDir: string
  /** Default `mvlab0`; shared by labs, deleted by the last lab that leaves it. */
  bridge?: string
  /** Default `198.18.0.0/16`: the bridge takes .0.1, host vm<n> the address n+1 after it (vm1 = 198.18.0.2). */
  subnet?: string
  /**
   * Number of the first host (vm<firstIndex>); must not overlap another lab on the same bridge. Default: the lowest
   * that overlaps none, chosen holding the bridge lock (so labs starting at once get different ones).
   */
  firstIndex?: number
  /** A key authorized on every host in addition to the lab's own DIR/id_ed25519. */
  clientPublicKey?: string
  readyTimeoutMs?: number
  log?: (line: string) => void
}

/** One running lab host. `pid` is its supervisor's (stable across guest reboots; it runs systemd-nspawn). */
export interface LabHost {
  name: string
  address: string
  netns: string
  pid: number
}

/** A running set of lab hosts and what an ssh client needs to reach them (user `admin`, or `root`, or `operator`). */
export interface LabHosts {
  dir: string
  hosts: LabHost[]
  keyFile: string
  knownHostsFile: string
  bridge: string
  bridgeAddress: string
}

function planState(o: StartHostsOptions, dir: string, first: number): LabState {
  const labId = labIdOf(dir)
  const bridge = o.bridge ?? 'mvlab0'
  const subnet = parseSubnet(o.subnet ?? '198.18.0.0/16')
  const hosts = Array.from({ length: o.count }, (_, i): HostState => {
    const name = `vm${first + i}`
    const hostDir = join(dir, 'hosts', name)
    return {
      name,
      address: hostAddress(subnet, first + i),
      netns: `mvlab-${labId}-${name}`,
      veth: `mv${labId}-${first + i}`,
      hostDir,
      root: join(hostDir, 'root'),
      cgroups: hostCgroups(labId, name),
      supervisorPid: 0,
      nspawnPidFile: join(hostDir, 'nspawn.pid'),
      consoleLog: join(hostDir, 'console.log'),
    }
  })
  const common = { labId, dir, bridge, bridgeAddress: bridgeAddress(subnet), prefixLength: subnet.prefixLength }
  return { ...common, baseDir: resolve(o.baseDir), hosts }
}

function refuseOverlap(state: LabState, first: number): void {
  const last = first + state.hosts.length - 1
  const clash = otherClaims(state.labId).find((c) => c.bridge === state.bridge && first <= c.last && c.first <= last)
  if (clash) {
    throw new ExitError(
      `lab hosts vm${first}..vm${last} would take addresses of the lab in ${clash.dir} (vm${clash.first}..vm${clash.last}` +
        ` on ${state.bridge}); stop it or pick another first index`,
    )
  }
}

function result(state: LabState): LabHosts {
  const hosts = state.hosts.map((h) => ({ name: h.name, address: h.address, netns: h.netns, pid: h.supervisorPid }))
  const files = { keyFile: keyFileOf(state.dir), knownHostsFile: knownHostsFileOf(state.dir) }
  return { dir: state.dir, hosts, ...files, bridge: state.bridge, bridgeAddress: state.bridgeAddress }
}

function consoleTail(host: HostState): string {
  try {
    return readFileSync(host.consoleLog, 'utf8').split('\n').slice(-15).join('\n')
  } catch {
    return '(no console output)'
  }
}

/** How long a boot of `count` hosts may take until each accepts an ssh login. */
export const readyTimeoutMs = (count: number): number => 60_000 + count * 1_000

export async function waitReady(state: LabState, timeoutMs: number): Promise<void> {
  const target = { keyFile: keyFileOf(state.dir), knownHostsFile: knownHostsFileOf(state.dir) }
  await mapLimit(state.hosts, 32, async (h) => {
    const r = await waitForSshLogin({ ...target, address: h.address }, timeoutMs)
    if (r.code !== 0) {
      throw new ExitError(`lab host ${h.name} (${h.address}): no ssh login: ${r.stderr.trim()}\n${consoleTail(h)}`)
    }
  })
}

async function bootHost(state: LabState, host: HostState, authorizedKeys: string): Promise<string> {
  await addHostNetwork(host.netns, host.veth, state.bridge, host.address, state.prefixLength)
  return bootGuest(state, host, authorizedKeys)
}

/** Mounts the host's root, gives it its identity (`keep`: the host key it had) and starts its supervisor. */
export async function bootGuest(state: LabState, host: HostState, authorizedKeys: string, keep?: HostKeyPair): Promise<string> {
  await mountOverlay(state.baseDir, host.hostDir, host.root)
  const hostKey = await ensureIdentity(host.root, host.name, authorizedKeys, keep)
  createCgroups(host.cgroups)
  host.supervisorPid = startSupervisor(host)
  writeState(state)
  return hostKey
}

/**
 * Boots `count` lab hosts (systemd-nspawn, one overlay root and one netns each) and waits until each accepts an ssh
 * login. Reuses the lab in `dir` when all its hosts still run; otherwise first cleans up whatever a previous run left.
 * The hosts outlive this process: stop them with `stopHosts(dir)`.
 */
export async function startHosts(o: StartHostsOptions): Promise<LabHosts> {
  requireRootOnLinux()
  const log = o.log ?? (() => {})
  const dir = resolve(o.dir)
  const readyTimeout = o.readyTimeoutMs ?? readyTimeoutMs(o.count)
  mkdirSync(dir, { recursive: true })
  const previous = readState(dir)
  if (previous?.hosts.length === o.count && previous.hosts.every((h) => pidAlive(h.supervisorPid) && isMounted(h.root))) {
    log(`reusing the ${o.count} running lab hosts in ${dir}`)
    await waitReady(previous, readyTimeout)
    return result(previous)
  }
  if (previous) {
    log(`cleaning up the previous lab hosts in ${dir}`)
    await stopHosts(dir)
  }
  rmSync(join(dir, 'hosts'), { recursive: true, force: true })
  const labKey = await ensureClientKey(dir)
  raiseInotifyLimits()
  const bridge = o.bridge ?? 'mvlab0'
  let state: LabState | undefined
  try {
    state = await withBridgeLock(bridge, async () => {
      const first = o.firstIndex ?? freeFirstIndex(labIdOf(dir), bridge, o.count)
      const planned = planState(o, dir, first)
      refuseOverlap(planned, first)
      writeState(planned) // before anything exists, so a crash at any point leaves a record to clean up from
      writeClaim({ labId: planned.labId, dir, bridge, first, last: first + o.count - 1, ownerPid: process.pid })
      if (await ensureBridge(bridge, planned.bridgeAddress, planned.prefixLength)) markBridgeCreated(bridge)
      return planned
    })
    const planned = state
    log(`booting ${o.count} lab hosts from ${planned.hosts[0]?.name} on ${bridge} (${planned.bridgeAddress})`)
    const authorized = [labKey, o.clientPublicKey].filter(Boolean).join('\n')
    const hostKeys = await mapLimit(planned.hosts, 8, (h) => bootHost(planned, h, authorized))
    writeKnownHosts(dir, planned.hosts.map((h, i) => ({ address: h.address, hostKey: hostKeys[i] ?? '' })))
    await waitReady(planned, readyTimeout)
  } catch (err) {
    if (state) writeState(state)
    await stopHosts(dir)
    throw err
  }
  return result(state)
}
