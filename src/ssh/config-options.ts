// The ssh_config settings meshvm uses, set as readconf.c process_config_line sets them: the first obtained value
// wins, values are checked even in blocks that do not apply, identity and certificate files accumulate.
import { type ConfigLine, SshConfigError } from './config-lexer.js'
import { parseJump, toPort, type JumpSpec } from './jump-spec.js'

/** A path with where it came from: ssh keeps duplicates apart by user or system file. */
export interface ConfigPath {
  path: string
  fromUser: boolean
}

/** Settings as the config leaves them (undefined: not set by any line). */
export interface ConfigSettings {
  hostName?: string
  user?: string
  port?: number
  identityFiles: ConfigPath[]
  certificateFiles: ConfigPath[]
  identitiesOnly?: boolean
  identityAgent?: string
  proxyCommand?: string
  /** 'none' blocks a later ProxyCommand, as ssh's jump_host "none" does. */
  jump?: JumpSpec | 'none'
  userKnownHostsFiles?: string[]
  globalKnownHostsFiles?: string[]
  hostKeyAlias?: string
  strictHostKeyChecking?: 'true' | 'false' | 'ask' | 'accept-new'
  connectTimeout?: number
  serverAliveInterval?: number
  serverAliveCountMax?: number
  hashKnownHosts?: boolean
  canonicalizeHostname?: 'false' | 'true' | 'always'
  canonicalDomains?: string[]
  canonicalizeFallbackLocal?: boolean
  canonicalizeMaxDots?: number
  canonicalizePermittedCnames?: string[]
  ignoreUnknown?: string
}

export function emptySettings(): ConfigSettings {
  return { identityFiles: [], certificateFiles: [] }
}

const FLAG: Record<string, boolean> = { yes: true, true: true, no: false, false: false }
const STRICT: Record<string, ConfigSettings['strictHostKeyChecking']> = {
  yes: 'true',
  true: 'true',
  no: 'false',
  false: 'false',
  off: 'false',
  ask: 'ask',
  'accept-new': 'accept-new',
}
const CANONICALIZE: Record<string, ConfigSettings['canonicalizeHostname']> = {
  yes: 'true',
  true: 'true',
  no: 'false',
  false: 'false',
  always: 'always',
}
const TIME_UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }

/** misc.c convtime: "90", "1m30s", "2h"; undefined when invalid. */
export function convtime(text: string): number | undefined {
  if (text === '') return undefined
  let total = 0
  for (const m of text.matchAll(/(\d+)([sSmMhHdDwW]?)|(.)/g)) {
    if (m[3] !== undefined) return undefined
    total += Number(m[1]) * TIME_UNITS[m[2].toLowerCase()]
  }
  return total <= 2 ** 31 - 1 ? total : undefined
}

function single(line: ConfigLine): string {
  const [arg, ...extra] = line.args
  if (arg === undefined || arg === '') throw new SshConfigError(line, 'Missing argument.')
  if (extra.length > 0) throw new SshConfigError(line, `keyword ${line.keyword} extra arguments at end of line`)
  return arg
}

function choice<T>(line: ConfigLine, table: Record<string, T>): T {
  const arg = single(line)
  const value = table[arg.toLowerCase()]
  if (value === undefined) throw new SshConfigError(line, `unsupported option "${arg}".`)
  return value
}

function list(line: ConfigLine, noneAlone = true): string[] {
  if (line.args.length === 0) throw new SshConfigError(line, 'Missing argument.')
  for (const [i, arg] of line.args.entries()) {
    if (arg === '') throw new SshConfigError(line, `keyword ${line.keyword} empty argument`)
    if (noneAlone && arg.toLowerCase() === 'none' && (i > 0 || line.args.length > 1)) {
      throw new SshConfigError(line, `keyword ${line.keyword} "none" argument must appear alone.`)
    }
  }
  return line.args
}

function addPath(paths: ConfigPath[], path: string, fromUser: boolean): void {
  if (!paths.some((p) => p.path === path && p.fromUser === fromUser)) paths.push({ path, fromUser })
}

type Handler = (s: ConfigSettings, line: ConfigLine, active: boolean, fromUser: boolean) => void

function once<K extends keyof ConfigSettings>(key: K, parse: (line: ConfigLine) => ConfigSettings[K]): Handler {
  return (s, line, active) => {
    const value = parse(line)
    if (active && s[key] === undefined) s[key] = value
  }
}

const int = (line: ConfigLine) => {
  const arg = single(line)
  if (!/^\d+$/.test(arg) || Number(arg) > 2 ** 31 - 1)
    throw new SshConfigError(line, `integer value ${arg} is invalid.`)
  return Number(arg)
}
const time = (line: ConfigLine) => {
  const value = convtime(single(line))
  if (value === undefined) throw new SshConfigError(line, 'invalid time value.')
  return value
}

/** The keywords meshvm reads; every other known keyword is accepted and ignored. */
export const HANDLERS: Record<string, Handler> = {
  hostname: once('hostName', single),
  user: once('user', single),
  port: once('port', (line) => {
    const arg = single(line)
    const port = toPort(arg)
    if (port === undefined) throw new SshConfigError(line, `Bad port '${arg}'.`)
    return port
  }),
  identityfile: (s, line, active, fromUser) => {
    const path = single(line)
    if (active) addPath(s.identityFiles, path, fromUser)
  },
  certificatefile: (s, line, active, fromUser) => {
    const path = single(line)
    if (active) addPath(s.certificateFiles, path, fromUser)
  },
  identitiesonly: once('identitiesOnly', (line) => choice(line, FLAG)),
  identityagent: once('identityAgent', single),
  hostkeyalias: once('hostKeyAlias', single),
  stricthostkeychecking: once('strictHostKeyChecking', (line) => choice(line, STRICT)),
  connecttimeout: once('connectTimeout', time),
  serveraliveinterval: once('serverAliveInterval', time),
  serveralivecountmax: once('serverAliveCountMax', int),
  hashknownhosts: once('hashKnownHosts', (line) => choice(line, FLAG)),
  canonicalizehostname: once('canonicalizeHostname', (line) => choice(line, CANONICALIZE)),
  canonicalizefallbacklocal: once('canonicalizeFallbackLocal', (line) => choice(line, FLAG)),
  canonicalizemaxdots: once('canonicalizeMaxDots', int),
  canonicaldomains: once('canonicalDomains', (line) => list(line)),
  canonicalizepermittedcnames: once('canonicalizePermittedCnames', (line) => list(line)),
  userknownhostsfile: once('userKnownHostsFiles', (line) => list(line)),
  globalknownhostsfile: once('globalKnownHostsFiles', (line) => list(line)),
  ignoreunknown: once('ignoreUnknown', single),
  proxycommand: (s, line, active) => {
    const command = line.rest.replace(/^[ \t\r\n=]+/, '')
    // A ProxyJump obtained first wins; `ProxyJump none` does not block a ProxyCommand.
    if (active && s.proxyCommand === undefined && (s.jump ?? 'none') === 'none') s.proxyCommand = command
  },
  proxyjump: (s, line, active) => {
    if (line.args.length === 0) throw new SshConfigError(line, 'Missing argument.')
    const text = line.rest.replace(/^[ \t\r\n=]+/, '')
    const live = active && s.proxyCommand === undefined && s.jump === undefined
    const jump = parseJump(text)
    if (jump === undefined) throw new SshConfigError(line, `Invalid ProxyJump "${text}"`)
    if (live) s.jump = jump
  },
}
