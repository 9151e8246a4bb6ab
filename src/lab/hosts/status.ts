import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { keyFileOf, knownHostsFileOf, mapLimit } from './lab-files.js'
import { pidAlive } from './processes.js'
import { sshExec } from './ssh-login.js'
import { readState } from './state.js'

/** One host as `hostsStatus` sees it. */
export interface HostStatus {
  name: string
  address: string
  running: boolean
  sshReachable: boolean
}

function nspawnRunning(pidFile: string): boolean {
  try {
    return pidAlive(Number(readFileSync(pidFile, 'utf8').trim()))
  } catch {
    return false
  }
}

/** Per recorded host: is its nspawn running, and does an ssh login succeed? Empty when the lab is down. */
export async function hostsStatus(dir: string): Promise<HostStatus[]> {
  const state = readState(resolve(dir))
  if (!state) return []
  const target = { keyFile: keyFileOf(state.dir), knownHostsFile: knownHostsFileOf(state.dir) }
  return mapLimit(state.hosts, 16, async (h) => {
    const running = pidAlive(h.supervisorPid) && nspawnRunning(h.nspawnPidFile)
    const sshReachable = running && (await sshExec({ ...target, address: h.address }, 'true', 15_000)).code === 0
    return { name: h.name, address: h.address, running, sshReachable }
  })
}
