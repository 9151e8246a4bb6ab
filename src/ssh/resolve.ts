import { homedir, userInfo } from 'node:os'
import { join } from 'node:path'
import type { SshTarget } from '../inventory/types.js'
import { expandPath, lookupSshConfig, type SshConfigLine } from './ssh-config.js'

/** One SSH hop (a jump host or the VM itself) with inventory, ssh_config and defaults merged. */
export interface Hop {
  /** The name the inventory or ProxyJump gave (may be an ssh_config alias). */
  alias: string
  hostName: string
  port: number
  user: string
  identityFiles: string[]
  /** The first one receives accepted new keys; all are read, plus the system-wide file. */
  knownHostsFiles: string[]
  acceptNewHostKeys: boolean
  connectTimeoutMs: number
  keepaliveIntervalMs: number
  /** `user@host:port`, for messages. */
  where: string
}

/** The subset of connect options that resolution needs. */
export interface ResolveOptions {
  knownHostsFile?: string
  acceptNewHostKeys?: boolean
  connectTimeoutMs?: number
  keepaliveIntervalMs?: number
}

type Explicit = Pick<SshTarget, 'host'> & Partial<Pick<SshTarget, 'port' | 'user' | 'identityFile'>>

const SYSTEM_KNOWN_HOSTS = '/etc/ssh/ssh_known_hosts'
// 'no' counts as accept-new: a changed key is never accepted.
const ACCEPT_NEW = new Set(['accept-new', 'no', 'off'])

function resolveHop(lines: SshConfigLine[], explicit: Explicit, options: ResolveOptions): Hop {
  const config = lookupSshConfig(lines, explicit.host)
  const localUser = userInfo().username
  const hostName = config.hostName ?? explicit.host
  // Explicit values (inventory, ProxyJump spec) beat ssh_config, as `ssh -p` does.
  const port = explicit.port || config.port || 22
  const user = explicit.user || config.user || localUser
  const tokens = { host: hostName, user, port, localUser }
  const identityFiles = [...(explicit.identityFile ? [explicit.identityFile] : []), ...config.identityFiles]
  const userKnownHosts = options.knownHostsFile
    ? [options.knownHostsFile]
    : (config.userKnownHostsFiles ?? [join(homedir(), '.ssh', 'known_hosts')])
  const fromConfig = (seconds: number | undefined) => (seconds ? seconds * 1000 : undefined)
  return {
    alias: explicit.host,
    hostName,
    port,
    user,
    identityFiles: identityFiles.map((f) => expandPath(f, tokens)),
    knownHostsFiles: [...userKnownHosts.map((f) => expandPath(f, tokens)), SYSTEM_KNOWN_HOSTS],
    acceptNewHostKeys: options.acceptNewHostKeys || ACCEPT_NEW.has(config.strictHostKeyChecking ?? ''),
    connectTimeoutMs: options.connectTimeoutMs ?? fromConfig(config.connectTimeoutSeconds) ?? 15_000,
    keepaliveIntervalMs: options.keepaliveIntervalMs ?? fromConfig(config.serverAliveIntervalSeconds) ?? 15_000,
    where: `${user}@${hostName}:${port}`,
  }
}

function parseJump(spec: string): Explicit {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec.trim())
  if (!m) return { host: spec.trim() }
  return { user: m[1], host: m[2].replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : undefined }
}

/**
 * The hops to the target: its ProxyJump hosts in order (each resolved through ssh_config too), then the target.
 * This is where every SSH default is decided: what the inventory said beats ssh_config, which beats OpenSSH's
 * fallbacks (port 22, the local user); a `defaulted` port or user counts as not said, as `ssh` without `-p`/`-l`.
 */
export function resolveHops(
  target: Explicit & Pick<Partial<SshTarget>, 'proxyJump' | 'defaulted'>,
  lines: SshConfigLine[],
  options: ResolveOptions,
): Hop[] {
  const jumpSpec = target.proxyJump || lookupSshConfig(lines, target.host).proxyJump
  const jumps = jumpSpec && jumpSpec !== 'none' ? jumpSpec.split(',').map(parseJump) : []
  const said = (field: 'user' | 'port') => !target.defaulted?.includes(field)
  const explicit = {
    ...target,
    port: said('port') ? target.port : undefined,
    user: said('user') ? target.user : undefined,
  }
  return [...jumps.map((j) => resolveHop(lines, j, options)), resolveHop(lines, explicit, options)]
}
