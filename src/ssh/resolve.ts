// Every SSH default is decided here: what the inventory says is ssh's command line (-l, -p, -i, -J), ssh_config
// fills the rest exactly as `ssh -G` prints it, and each ProxyJump hop is resolved as ssh resolves it (its own
// ProxyJump followed), down to the first hop, reached directly or through a ProxyCommand.
import { homedir, userInfo } from 'node:os'
import type { SshTarget } from '../inventory/types.js'
import { resolveWithReader, type ResolveInput } from './config-resolve.js'
import { expandPath, expandProxyCommand, type TokenValues } from './config-tokens.js'
import { parseJump } from './jump-spec.js'
import { knownHostName } from './known-hosts.js'
import type { SshDump } from './ssh-dump.js'
import { hasSshG, resolveWithSshG } from './ssh-g.js'

/** One SSH hop (a jump host or the VM itself), as ssh would connect to it. */
export interface Hop {
  /** The name the inventory or ProxyJump gave (may be an ssh_config alias). */
  alias: string
  hostName: string
  port: number
  user: string
  /** Expanded, in ssh's order; ssh_config's defaults only when nothing set IdentityFile; `none` dropped. */
  identityFiles: string[]
  /** CertificateFile entries, expanded. */
  certificateFiles: string[]
  identitiesOnly: boolean
  /** IdentityAgent expanded: a socket path, 'SSH_AUTH_SOCK', or 'none'; undefined: $SSH_AUTH_SOCK. */
  identityAgent?: string
  /** User files (the first receives accepted new keys), then the global ones. */
  knownHostsFiles: string[]
  /** The name looked up in known_hosts: HostKeyAlias, else `host` or `[host]:port`. */
  hostKeyName: string
  hashKnownHosts: boolean
  acceptNewHostKeys: boolean
  connectTimeoutMs: number
  keepaliveIntervalMs: number
  keepaliveCountMax: number
  /** How this hop is reached: TCP, a ProxyCommand's stdin/stdout, or a channel through the hop before it. */
  via: 'direct' | 'jump' | { proxyCommand: string }
  /** `user@host:port`, for messages. */
  where: string
}

/** The subset of connect options that resolution needs. */
export interface ResolveOptions {
  /** Read before ssh_config's UserKnownHostsFile, and receives accepted new keys (inventory knownHostsFile). */
  knownHostsFile?: string
  acceptNewHostKeys?: boolean
  connectTimeoutMs?: number
  keepaliveIntervalMs?: number
  /** As `ssh -F`; undefined: ~/.ssh/config then /etc/ssh/ssh_config. */
  sshConfigFile?: string
  /** 'ssh': ask `ssh -G`; 'builtin': meshvm's reader. Default: ssh -G when installed (and HOME is the user's home). */
  resolver?: 'ssh' | 'builtin'
}

// meshvm's own defaults where ssh has none (ConnectTimeout none, ServerAliveInterval 0): a dead VM is noticed.
const DEFAULT_TIMEOUT_MS = 15_000
// Jump chains deeper than this are a loop in ssh_config (ssh itself would recurse until it runs out of processes).
const MAX_JUMPS = 10

function useSshG(options: ResolveOptions): boolean {
  const choice = options.resolver ?? (process.env.MESHVM_SSH_RESOLVER as ResolveOptions['resolver'])
  if (choice === 'builtin') return false
  // ssh reads ~ from the password database; meshvm keeps to $HOME where they differ (see config-tokens.ts).
  return choice === 'ssh' || (hasSshG() && homedir() === userInfo().homedir)
}

/** What `ssh -G` prints for `input`: from ssh itself when installed, else from the built-in reader. */
export async function resolveDump(input: ResolveInput, options: ResolveOptions = {}): Promise<SshDump> {
  return useSshG(options) ? resolveWithSshG(input) : resolveWithReader(input)
}

const one = (dump: SshDump, key: string) => dump[key]?.[0]
const seconds = (value: string | undefined) =>
  value && value !== 'none' && value !== '0' ? Number(value) * 1000 : undefined

function toHop(alias: string, dump: SshDump, options: ResolveOptions): Omit<Hop, 'via'> {
  const hostName = one(dump, 'hostname')!
  const port = Number(one(dump, 'port'))
  const user = one(dump, 'user')!
  const hostKeyAlias = one(dump, 'hostkeyalias')
  const values: TokenValues = { host: hostName, originalHost: alias, user, port, keyAlias: hostKeyAlias ?? alias }
  const paths = (key: string) =>
    (dump[key] ?? []).filter((f) => f.toLowerCase() !== 'none').map((f) => expandPath(f, values))
  const split = (key: string) => (one(dump, key) ?? '').split(' ').filter((f) => f && f.toLowerCase() !== 'none')
  const strict = one(dump, 'stricthostkeychecking')
  return {
    alias,
    hostName,
    port,
    user,
    identityFiles: paths('identityfile'),
    certificateFiles: paths('certificatefile'),
    identitiesOnly: one(dump, 'identitiesonly') === 'yes',
    identityAgent: one(dump, 'identityagent'),
    knownHostsFiles: [
      ...(options.knownHostsFile ? [options.knownHostsFile] : []),
      ...split('userknownhostsfile'),
      ...split('globalknownhostsfile'),
    ],
    hostKeyName: hostKeyAlias ?? knownHostName(hostName, port),
    hashKnownHosts: one(dump, 'hashknownhosts') === 'yes',
    // StrictHostKeyChecking no is taken as accept-new: meshvm never accepts a changed key.
    acceptNewHostKeys: options.acceptNewHostKeys === true || strict === 'accept-new' || strict === 'false',
    connectTimeoutMs: options.connectTimeoutMs ?? seconds(one(dump, 'connecttimeout')) ?? DEFAULT_TIMEOUT_MS,
    keepaliveIntervalMs: options.keepaliveIntervalMs ?? seconds(one(dump, 'serveraliveinterval')) ?? DEFAULT_TIMEOUT_MS,
    keepaliveCountMax: Number(one(dump, 'serveralivecountmax') ?? 3),
    where: `${user}@${hostName}:${port}`,
  }
}

async function chain(input: ResolveInput, options: ResolveOptions, depth: number): Promise<Hop[]> {
  if (depth > MAX_JUMPS) throw new Error(`${input.host}: more than ${MAX_JUMPS} ProxyJump hops (a loop in ssh_config?)`)
  const dump = await resolveDump(input, options)
  const hop = toHop(input.host, dump, options)
  const proxyCommand = one(dump, 'proxycommand')
  if (proxyCommand) {
    const values = {
      host: hop.hostName,
      originalHost: input.host,
      user: hop.user,
      port: hop.port,
      keyAlias: hop.hostKeyName,
    }
    return [{ ...hop, via: { proxyCommand: expandProxyCommand(proxyCommand, values) } }]
  }
  const jump = one(dump, 'proxyjump')
  const spec = jump ? parseJump(jump) : undefined
  if (!spec || spec === 'none') return [{ ...hop, via: 'direct' }]
  // ssh runs `ssh [-l user] [-p port] [-J extra] -W host:port last` (ssh.c): `last` keeps its own ProxyJump only
  // when the list named no hops before it.
  const { last, extra } = spec
  const through = { host: last.host, user: last.user, port: last.port, proxyJump: extra, configFile: input.configFile }
  return [...(await chain(through, options, depth + 1)), { ...hop, via: 'jump' }]
}

/** The target as an inventory gives it: a `defaulted` port or user counts as not given (as `ssh` without -p/-l). */
export type ResolveTarget = Pick<SshTarget, 'host'> &
  Partial<Pick<SshTarget, 'port' | 'user' | 'identityFile' | 'proxyJump' | 'defaulted'>>

/** The hops to the target: the jump hosts in the order they are connected, then the target. */
export function resolveHops(target: ResolveTarget, options: ResolveOptions = {}): Promise<Hop[]> {
  const said = (field: 'user' | 'port') => !target.defaulted?.includes(field)
  const input: ResolveInput = {
    host: target.host,
    configFile: options.sshConfigFile,
    user: said('user') ? target.user || undefined : undefined,
    port: said('port') ? target.port || undefined : undefined,
    identityFile: target.identityFile,
    proxyJump: target.proxyJump || undefined,
  }
  return chain(input, options, 0)
}
