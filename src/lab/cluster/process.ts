import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { join } from 'node:path'
import { ExitError } from '../../errors.js'
import { pidAlive, signal, waitForExit } from '../hosts/processes.js'
import { clusterConfigFile, type LabClusterConfig } from './config.js'

const clusterDir = (dir: string) => join(dir, 'cluster')
const pidFile = (dir: string) => join(clusterDir(dir), 'pid')
const daemonScript = new URL('./daemon.js', import.meta.url).pathname

export function clusterPid(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(dir), 'utf8'))
    return pidAlive(pid) ? pid : undefined
  } catch {
    return undefined
  }
}

/** Starts the lab cluster process detached (it outlives this CLI) unless it already runs; waits until it listens. */
export async function ensureClusterProcess(dir: string, config: LabClusterConfig): Promise<{ pid: number; reused: boolean }> {
  const running = clusterPid(dir)
  if (running) return { pid: running, reused: true }
  mkdirSync(clusterDir(dir), { recursive: true, mode: 0o700 })
  writeFileSync(clusterConfigFile(dir), JSON.stringify(config, null, 2), { mode: 0o600 })
  rmSync(join(clusterDir(dir), 'ready'), { force: true })
  const out = openSync(join(clusterDir(dir), 'cluster.log'), 'a')
  const child = spawn(process.execPath, [daemonScript, dir], { detached: true, stdio: ['ignore', out, out] })
  child.unref()
  writeFileSync(pidFile(dir), String(child.pid))
  for (let i = 0; i < 100; i++) {
    if (existsSync(join(clusterDir(dir), 'ready'))) return { pid: child.pid!, reused: false }
    if (!pidAlive(child.pid!)) break
    await sleep(100)
  }
  const tail = readFileSync(join(clusterDir(dir), 'cluster.log'), 'utf8').split('\n').slice(-15).join('\n')
  await stopClusterProcess(dir)
  throw new ExitError(`the lab cluster did not start:\n${tail}`)
}

/** SIGTERM, then SIGKILL after a bounded wait; by the recorded PID only. */
export async function stopClusterProcess(dir: string): Promise<boolean> {
  const pid = clusterPid(dir)
  if (pid) {
    signal(pid, 'SIGTERM')
    if ((await waitForExit([pid], 5000)).length > 0) {
      signal(pid, 'SIGKILL')
      await waitForExit([pid], 2000)
    }
  }
  rmSync(pidFile(dir), { force: true })
  rmSync(join(clusterDir(dir), 'ready'), { force: true })
  return pid !== undefined
}
