import { rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ExitError } from '../../errors.js'
import { mapLimit } from './lab-files.js'
import { readAuthorizedKeys, readHostKeyPair } from './rootfs.js'
import { requireRootOnLinux } from './require-root.js'
import { bootGuest, readyTimeoutMs, waitReady } from './start.js'
import { readState, type HostState, type LabState } from './state.js'
import { stopGuest } from './stop.js'

// Reads what must survive before the root is unmounted: the same host key keeps known_hosts valid, the same
// authorized keys keep every client that could log in before able to.
async function resetHost(state: LabState, host: HostState): Promise<void> {
  const hostKey = readHostKeyPair(host.root)
  const authorized = readAuthorizedKeys(host.root)
  await stopGuest(host)
  for (const layer of ['upper', 'work']) rmSync(join(host.hostDir, layer), { recursive: true, force: true })
  await bootGuest(state, host, authorized, hostKey)
}

/**
 * Puts every host of the lab in DIR back to the fresh base: each guest is powered off, its overlay upper layer
 * re-created empty, and booted again with its own name, address and host key. Waits until each accepts an ssh login.
 */
export async function resetHosts(dir: string, log: (line: string) => void = () => {}): Promise<number> {
  requireRootOnLinux()
  const state = readState(resolve(dir))
  if (!state) throw new ExitError(`no lab hosts in ${resolve(dir)} (run: meshvm lab up)`)
  log(`resetting ${state.hosts.length} lab host(s) to the fresh base`)
  await mapLimit(state.hosts, 16, (h) => resetHost(state, h))
  await waitReady(state, readyTimeoutMs(state.hosts.length))
  return state.hosts.length
}
