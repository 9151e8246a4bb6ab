// The settings meshvm uses, in the form `ssh -G` prints them: one `keyword value` line each, identityfile and
// certificatefile repeated. Both resolvers (ssh -G itself, and the built-in reader) produce this.
import type { ConfigSettings } from './config-options.js'
import { expandPath, localIdentity } from './config-tokens.js'
import { formatJump } from './jump-spec.js'

/** keyword → the values of its lines, as `ssh -G` prints them. */
export type SshDump = Record<string, string[]>

/** The keywords meshvm reads from `ssh -G` (and compares in the corpus test). */
export const DUMP_KEYWORDS = [
  'hostname',
  'user',
  'port',
  'identityfile',
  'certificatefile',
  'identitiesonly',
  'identityagent',
  'proxyjump',
  'proxycommand',
  'userknownhostsfile',
  'globalknownhostsfile',
  'hostkeyalias',
  'stricthostkeychecking',
  'connecttimeout',
  'serveraliveinterval',
  'serveralivecountmax',
  'hashknownhosts',
  'canonicalizehostname',
  'canonicaldomains',
  'canonicalizefallbacklocal',
  'canonicalizemaxdots',
  'canonicalizepermittedcnames',
] as const

// ssh.c fill_default_options: the keys tried when no IdentityFile is set.
const DEFAULT_IDENTITIES = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa']

/** Parses `ssh -G` output, keeping the keywords meshvm reads. */
export function parseSshG(output: string): SshDump {
  const wanted = new Set<string>(DUMP_KEYWORDS)
  const dump: SshDump = {}
  for (const line of output.split('\n')) {
    const space = line.indexOf(' ')
    const key = line.slice(0, space).toLowerCase()
    if (space > 0 && wanted.has(key)) (dump[key] ??= []).push(line.slice(space + 1))
  }
  return dump
}

const yesNo = (v: boolean | undefined, fallback: boolean) => ((v ?? fallback) ? 'yes' : 'no')

/** Fills ssh's defaults and expands what ssh.c expands before printing (known_hosts files, IdentityAgent). */
export function dumpSettings(s: ConfigSettings, hostArg: string): SshDump {
  const user = s.user ?? localIdentity().user
  const port = s.port ?? 22
  const values = { host: s.hostName!, originalHost: hostArg, user, port, keyAlias: s.hostKeyAlias ?? hostArg }
  const identities = s.identityFiles.length
    ? s.identityFiles.map((f) => f.path)
    : DEFAULT_IDENTITIES.map((k) => `~/.ssh/${k}`)
  const userKnown = (s.userKnownHostsFiles ?? ['~/.ssh/known_hosts', '~/.ssh/known_hosts2']).map((f) =>
    expandPath(f, values),
  )
  const dump: SshDump = {
    hostname: [s.hostName!],
    user: [user],
    port: [String(port)],
    identityfile: identities,
    certificatefile: s.certificateFiles.map((f) => f.path),
    identitiesonly: [yesNo(s.identitiesOnly, false)],
    userknownhostsfile: [userKnown.join(' ')],
    globalknownhostsfile: [
      (s.globalKnownHostsFiles ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']).join(' '),
    ],
    stricthostkeychecking: [s.strictHostKeyChecking ?? 'ask'],
    connecttimeout: [s.connectTimeout === undefined ? 'none' : String(s.connectTimeout)],
    serveraliveinterval: [String(s.serverAliveInterval ?? 0)],
    serveralivecountmax: [String(s.serverAliveCountMax ?? 3)],
    hashknownhosts: [yesNo(s.hashKnownHosts, false)],
    canonicalizehostname: [s.canonicalizeHostname ?? 'false'],
    canonicaldomains: [s.canonicalDomains?.join(' ') ?? 'none'],
    canonicalizefallbacklocal: [yesNo(s.canonicalizeFallbackLocal, true)],
    canonicalizemaxdots: [String(s.canonicalizeMaxDots ?? 1)],
    canonicalizepermittedcnames: [s.canonicalizePermittedCnames?.join(',') ?? 'none'],
  }
  if (s.identityAgent !== undefined) dump.identityagent = [expandPath(s.identityAgent, values)]
  if (s.jump !== undefined && s.jump !== 'none') dump.proxyjump = [formatJump(s.jump)]
  if (s.proxyCommand !== undefined && s.proxyCommand.toLowerCase() !== 'none') dump.proxycommand = [s.proxyCommand]
  if (s.hostKeyAlias !== undefined) dump.hostkeyalias = [s.hostKeyAlias]
  if (dump.certificatefile.length === 0) delete dump.certificatefile
  return dump
}
