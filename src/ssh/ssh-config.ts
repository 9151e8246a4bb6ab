import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { basename, dirname, isAbsolute, join } from 'node:path'
import { matchHostPatterns } from './host-pattern.js'

/** The ssh_config options meshvm honours for one host, as OpenSSH resolves them (first obtained value wins). */
export interface SshConfigHost {
  hostName?: string
  port?: number
  user?: string
  /** In file order, unexpanded (`~` and `%` tokens are expanded by the caller, which knows the final user). */
  identityFiles: string[]
  proxyJump?: string
  userKnownHostsFiles?: string[]
  strictHostKeyChecking?: string
  connectTimeoutSeconds?: number
  serverAliveIntervalSeconds?: number
}

/** One `Key args...` line of an ssh_config file. */
export interface SshConfigLine {
  key: string
  args: string[]
}

const MAX_INCLUDE_DEPTH = 8

function splitArgs(value: string): string[] {
  return [...value.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2])
}

function includeFiles(pattern: string): string[] {
  const path = pattern.startsWith('~') ? join(homedir(), pattern.slice(1)) : pattern
  const full = isAbsolute(path) ? path : join(homedir(), '.ssh', path)
  if (!/[*?]/.test(basename(full))) return existsSync(full) ? [full] : []
  const dir = dirname(full)
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((name) => matchHostPatterns(name, [basename(full)]))
    .sort()
    .map((name) => join(dir, name))
}

function readLines(file: string, depth: number): SshConfigLine[] {
  const out: SshConfigLine[] = []
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([A-Za-z]+)(?:\s*=\s*|\s+)(.*?)\s*$/.exec(raw)
    if (!m || raw.trim().startsWith('#')) continue
    const key = m[1].toLowerCase()
    const args = splitArgs(m[2])
    if (key === 'include' && depth < MAX_INCLUDE_DEPTH) {
      for (const f of args.flatMap(includeFiles)) out.push(...readLines(f, depth + 1))
    } else out.push({ key, args })
  }
  return out
}

/** Parses an ssh_config file (missing file: empty). `Include` is followed; `Match` blocks are skipped. */
export function readSshConfig(file: string): SshConfigLine[] {
  return file && file !== 'none' && existsSync(file) ? readLines(file, 0) : []
}

function positiveInt(value: string | undefined): number | undefined {
  const n = Number(value)
  return Number.isInteger(n) && n > 0 ? n : undefined
}

/** Resolves the options for `host` (an alias or address) from parsed ssh_config lines. */
export function lookupSshConfig(lines: SshConfigLine[], host: string): SshConfigHost {
  const found = new Map<string, string[]>()
  const identityFiles: string[] = []
  let active = true
  for (const { key, args } of lines) {
    if (key === 'host') active = matchHostPatterns(host, args)
    else if (key === 'match') active = false
    else if (!active || args.length === 0) continue
    else if (key === 'identityfile') identityFiles.push(args[0])
    else if (!found.has(key)) found.set(key, args)
  }
  const first = (key: string) => found.get(key)?.[0]
  return {
    hostName: first('hostname')?.replace(/%h/g, host),
    port: positiveInt(first('port')),
    user: first('user'),
    identityFiles,
    proxyJump: first('proxyjump'),
    userKnownHostsFiles: found.get('userknownhostsfile'),
    strictHostKeyChecking: first('stricthostkeychecking')?.toLowerCase(),
    connectTimeoutSeconds: positiveInt(first('connecttimeout')),
    serverAliveIntervalSeconds: positiveInt(first('serveraliveinterval')),
  }
}

/** Expands `~` and the `%h %u %d %r %p %%` tokens of IdentityFile / UserKnownHostsFile paths. */
export function expandPath(
  path: string,
  tokens: { host: string; user: string; port: number; localUser: string },
): string {
  const withTokens = path.replace(/%([hudrp%])/g, (_, t: string) => {
    const values: Record<string, string> = {
      h: tokens.host,
      u: tokens.localUser,
      d: homedir(),
      r: tokens.user,
      p: String(tokens.port),
      '%': '%',
    }
    return values[t]
  })
  return withTokens.startsWith('~') ? join(homedir(), withTokens.slice(1)) : withTokens
}
