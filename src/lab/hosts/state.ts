import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** One lab host as recorded in DIR/state.json: everything `stopHosts` must undo, named before it is created. */
export interface HostState {
  name: string
  address: string
  netns: string
  /** The veth end in the machine's namespace, enslaved to the lab bridge. */
  veth: string
  hostDir: string
  /** The overlay mount point booted by systemd-nspawn. */
  root: string
  cgroups: string[]
  /** The detached shell that runs systemd-nspawn and restarts it when the guest reboots; 0 until started. */
  supervisorPid: number
  /** Holds the pid of the current systemd-nspawn (it changes at each guest reboot). */
  nspawnPidFile: string
  consoleLog: string
}

/** DIR/state.json of one lab's hosts. */
export interface LabState {
  labId: string
  dir: string
  bridge: string
  bridgeAddress: string
  prefixLength: number
  baseDir: string
  hosts: HostState[]
}

export const statePath = (dir: string): string => join(dir, 'state.json')

export function readState(dir: string): LabState | undefined {
  if (!existsSync(statePath(dir))) return undefined
  return JSON.parse(readFileSync(statePath(dir), 'utf8')) as LabState
}

export function writeState(state: LabState): void {
  const tmp = `${statePath(state.dir)}.tmp`
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n')
  renameSync(tmp, statePath(state.dir))
}
