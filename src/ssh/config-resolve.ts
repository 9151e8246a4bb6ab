// ssh's own resolution order (ssh.c main): command line, a first pass over the files, HostName taken into use and
// lower-cased, CanonicalizeHostname, a final pass when canonicalizing or asked by `Match final`, then the defaults.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { isIPv6 } from 'node:net'
import { SshConfigError } from './config-lexer.js'
import { emptySettings, type ConfigSettings } from './config-options.js'
import { ConfigReader, readConfigFiles } from './config-read.js'
import { expandTilde, percentExpand } from './config-tokens.js'
import { parseJump } from './jump-spec.js'
import { dumpSettings, type SshDump } from './ssh-dump.js'

/** What `ssh [-F file] [-l user] [-p port] [-i file] [-J jumps] host` is given. */
export interface ResolveInput {
  host: string
  /** As `-F`: only this file ('none': none). Undefined: ~/.ssh/config, then the system file. */
  configFile?: string
  user?: string
  port?: number
  identityFile?: string
  proxyJump?: string
  /** Default /etc/ssh/ssh_config. */
  systemFile?: string
}

/** inet_aton's forms (127.1, 0x7f.0.0.1, 0177.0.0.1) as getaddrinfo(AI_NUMERICHOST) accepts them, normalized. */
function numericAddress(host: string): string | undefined {
  if (isIPv6(host)) return new URL(`http://[${host}]/`).hostname.slice(1, -1)
  const parts = host.split('.')
  if (parts.length > 4 || !parts.every((p) => /^(0x[0-9a-f]+|0[0-7]*|[1-9]\d*)$/i.test(p))) return undefined
  const values = parts.map((p) => (/^0x/i.test(p) ? parseInt(p, 16) : /^0/.test(p) ? parseInt(p, 8) || 0 : Number(p)))
  const last = values.pop()!
  if (values.some((v) => v > 255) || last >= 256 ** (4 - values.length)) return undefined
  const n = values.reduce((acc, v, i) => acc + v * 256 ** (3 - i), 0) + last
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')
}

function resolves(name: string): boolean {
  return spawnSync('getent', ['ahosts', name], { stdio: 'ignore', timeout: 10_000 }).status === 0
}

/** ssh.c resolve_canonicalize, without CNAME following. */
function canonicalize(host: string, s: ConfigSettings, file: string): string {
  const mode = s.canonicalizeHostname ?? 'false'
  if (mode === 'false') return host
  const proxied = (s.proxyCommand ?? 'none') !== 'none' || (s.jump ?? 'none') !== 'none'
  if (proxied && mode !== 'always') return host
  const fail = () => {
    if (s.canonicalizeFallbackLocal === false)
      throw new SshConfigError(undefined, `${file}: CanonicalizeFallbackLocal no: could not resolve host "${host}"`)
    return host
  }
  if (host.endsWith('.')) return resolves(host) ? host.slice(0, -1) : fail()
  if ((host.match(/\./g)?.length ?? 0) > (s.canonicalizeMaxDots ?? 1)) return host
  for (const domain of s.canonicalDomains ?? []) {
    if (domain.toLowerCase() === 'none') break
    if (resolves(`${host}.${domain}.`)) return `${host}.${domain}`
  }
  return fail()
}

function commandLine(input: ResolveInput): ConfigSettings {
  const s = emptySettings()
  s.user = input.user
  s.port = input.port
  // ssh -i: tilde-expanded, and skipped with a warning when the file does not exist.
  const identity = input.identityFile && expandTilde(input.identityFile)
  if (identity && existsSync(identity)) s.identityFiles.push({ path: identity, fromUser: true })
  if (input.proxyJump) {
    const jump = parseJump(input.proxyJump)
    if (jump === undefined) throw new SshConfigError(undefined, `Invalid ProxyJump "${input.proxyJump}"`)
    s.jump = jump
  }
  return s
}

/** The settings `ssh -G` would print for `input`, computed without ssh. */
export function resolveWithReader(input: ResolveInput): SshDump {
  // ssh.c valid_hostname, for the name as given
  if (input.host.startsWith('-') || /['`"$\\;&<>|(){}\s\x00-\x1f\x7f]/.test(input.host)) {
    throw new SshConfigError(undefined, `${input.host}: hostname contains invalid characters`)
  }
  const systemFile = input.systemFile ?? '/etc/ssh/ssh_config'
  const settings = commandLine(input)
  const state = { host: input.host, originalHost: input.host, finalPass: false, wantFinal: false }
  readConfigFiles(new ConfigReader(settings, state), input.configFile, systemFile)
  let host = input.host
  if (settings.hostName !== undefined) host = percentExpand(settings.hostName, { h: host })
  const numeric = numericAddress(host)
  host = numeric ?? canonicalize(host.toLowerCase(), settings, input.configFile ?? systemFile)
  settings.hostName = host
  if ((settings.canonicalizeHostname ?? 'false') !== 'false' || state.wantFinal) {
    const final = { ...state, host, finalPass: true }
    readConfigFiles(new ConfigReader(settings, final), input.configFile, systemFile)
  }
  return dumpSettings(settings, input.host)
}
