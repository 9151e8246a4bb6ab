import { setTimeout as sleep } from 'node:timers/promises'
import { runStatus, type RunResult } from './run.js'

/** What the openssh client needs to log in to a lab host with the lab's key, checking the lab's known_hosts. */
export interface SshTarget {
  address: string
  keyFile: string
  knownHostsFile: string
  user?: string
}

export function sshArgs(t: SshTarget, connectTimeoutS = 10): string[] {
  return [
    '-i',
    t.keyFile,
    '-o',
    `UserKnownHostsFile=${t.knownHostsFile}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `ConnectTimeout=${connectTimeoutS}`,
    '-o',
    'LogLevel=ERROR',
    `${t.user ?? 'admin'}@${t.address}`,
  ]
}

/** Runs `command` on a lab host with the openssh client (ssh2 stays the project's own door, in src/ssh/). */
export function sshExec(t: SshTarget, command: string, timeoutMs = 60_000): Promise<RunResult> {
  return runStatus('ssh', [...sshArgs(t), command], { timeoutMs })
}

/** Readiness is a real login, not an open port; retried until `deadlineMs` (a boot storm can take a while). */
export async function waitForSshLogin(t: SshTarget, deadlineMs: number): Promise<RunResult> {
  const end = Date.now() + deadlineMs
  let last: RunResult = { code: -1, stdout: '', stderr: 'not tried' }
  for (let attempt = 0; attempt < 600 && Date.now() < end; attempt++) {
    last = await sshExec(t, 'true', 30_000)
    if (last.code === 0) return last
    await sleep(300)
  }
  return last
}
