import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ConnectOptions, ConnectTarget } from '../../src/ssh/connect.js'
import type { SshConnection } from '../../src/ssh/connection.js'
import { SshError } from '../../src/ssh/errors.js'
import { shQuote } from '../../src/ssh/exec.js'
import type { Connection } from '../../src/ssh/types.js'
import type { Sshd } from '../support/sshd.js'

/** Key-auth target for a test sshd (no ssh_config, no agent). */
export function targetOf(sshd: Sshd, user = 'root'): ConnectTarget {
  return { host: '127.0.0.1', port: sshd.port, user, identityFile: sshd.clientKey }
}

/** Options isolated from the machine's ~/.ssh: a known_hosts in the sshd's dir that already trusts it. */
export function trustingOptions(sshd: Sshd, extra: ConnectOptions = {}): ConnectOptions {
  const knownHostsFile = join(sshd.dir, 'known_hosts')
  writeFileSync(knownHostsFile, `[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n`)
  return { knownHostsFile, sshConfigFile: 'none', agentSocket: '', ...extra }
}

/** A remote file's bytes, or undefined when it does not exist (tests look at what put wrote; meshvm never reads back). */
export async function readRemote(
  conn: Connection,
  path: string,
  options: { sudo?: boolean } = {},
): Promise<Buffer | undefined> {
  const c = conn as SshConnection
  const r = await c.execRaw(`cat -- ${shQuote(path)}`, options)
  if (r.code === 0) return r.stdout
  const stderr = r.stderr.toString().trim()
  if (/No such file or directory/.test(stderr)) return undefined
  throw new SshError('command', c.where, c.mask(`${c.where}: reading ${path} failed: ${stderr}`))
}
