import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ConnectOptions, ConnectTarget } from '../../src/ssh/connect.js'
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
