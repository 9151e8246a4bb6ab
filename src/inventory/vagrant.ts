import { isIP } from 'node:net'
import { Document } from 'yaml'

/** One machine of `vagrant ssh-config`. */
export interface VagrantMachine {
  name: string
  hostName: string
  port: number
  user: string
  identityFile?: string
}

/** Parses the output of `vagrant ssh-config` (one `Host <machine>` block per machine). */
export function parseVagrantSshConfig(text: string): VagrantMachine[] {
  const machines: VagrantMachine[] = []
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(\S+)\s+(.*?)\s*$/.exec(line)
    if (!m) continue
    const [, key, raw] = m
    const value = raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw
    const current = machines[machines.length - 1]
    switch (key.toLowerCase()) {
      case 'host':
        machines.push({ name: value, hostName: value, port: 22, user: '' })
        break
      case 'hostname':
        if (current) current.hostName = value
        break
      case 'port':
        if (current) current.port = Number(value)
        break
      case 'user':
        if (current) current.user = value
        break
      case 'identityfile':
        // newer Vagrant lists one key per algorithm: the first is the one it prefers
        if (current) current.identityFile ??= value
        break
    }
  }
  return machines
}

/**
 * The machine's address on the Vagrant private network, from the output of `hostname -I` on it: the first IPv4
 * address that is not loopback, not the address ssh reaches it at (libvirt's management network) and not
 * VirtualBox's NAT address 10.0.2.15; addresses in 192.168.56.0/21 (VirtualBox's host-only range) come first.
 */
export function pickPrivateIp(hostnameOutput: string, sshHostName: string): string | undefined {
  const candidates = hostnameOutput
    .split(/\s+/)
    .filter((a) => isIP(a) === 4 && !a.startsWith('127.') && a !== sshHostName && a !== '10.0.2.15')
  const hostOnly = candidates.find((a) => /^192\.168\.(5[6-9]|6[0-3])\./.test(a))
  return hostOnly ?? candidates[0]
}

/**
 * A meshvm inventory (YAML text) for the machines of a `vagrant ssh-config` output: each machine is a VM reached at
 * its ssh-config HostName/Port/User/IdentityFile, with internalIP its private-network address when known.
 */
export function inventoryFromVagrant(
  sshConfigText: string,
  privateNetworkIPs: Record<string, string>,
  defaults: Record<string, unknown>,
): string {
  const vms = Object.fromEntries(
    parseVagrantSshConfig(sshConfigText).map((m) => [
      m.name,
      {
        address: m.hostName,
        port: m.port,
        ...(m.user ? { user: m.user } : {}),
        ...(m.identityFile ? { identityFile: m.identityFile } : {}),
        ...(privateNetworkIPs[m.name] ? { internalIP: privateNetworkIPs[m.name] } : {}),
      },
    ]),
  )
  const doc = new Document({ defaults, vms })
  doc.commentBefore =
    " meshvm inventory written from `vagrant ssh-config`; internalIP is each machine's private-network address.\n" +
    ' Regenerate it after `vagrant up` (ports and keys can change). Keys: see inventory/example.yaml.'
  return doc.toString({ lineWidth: 0 })
}
