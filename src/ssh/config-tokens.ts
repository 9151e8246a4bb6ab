// %tokens and ${ENV} as OpenSSH's misc.c (percent_dollar_expand, tilde_expand_filename) expand them.
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { homedir, hostname, userInfo } from 'node:os'

/** The values behind ssh's %tokens for one connection (readconf.c match_cfg_line, ssh.c DEFAULT_CLIENT_PERCENT_EXPAND_ARGS). */
export interface TokenValues {
  /** %h: the host name being connected to. */
  host: string
  /** %n: the name as given (alias). */
  originalHost: string
  /** %r: the remote user. */
  user: string
  /** %p */
  port: number
  /** %k: HostKeyAlias, else the name as given. */
  keyAlias: string
}

/**
 * The local user, uid, gethostname() and home. The home is $HOME where ssh reads the password database: the two
 * differ only when HOME was changed (tests, `sudo -E`), and meshvm then keeps to HOME, as the rest of meshvm does.
 */
export function localIdentity(): { user: string; home: string; uid: number; host: string } {
  const me = userInfo()
  return { user: me.username, home: homedir(), uid: me.uid, host: hostname() }
}

/** %C: SHA-1 of %l%h%p%r, as ssh_connection_hash. */
export function connectionHash(values: TokenValues): string {
  const local = localIdentity().host
  return createHash('sha1').update(`${local}${values.host}${values.port}${values.user}`).digest('hex')
}

function tokenTable(values: TokenValues): Record<string, string> {
  const me = localIdentity()
  return {
    C: connectionHash(values),
    L: me.host.split('.')[0],
    d: me.home,
    h: values.host,
    i: String(me.uid),
    k: values.keyAlias,
    l: me.host,
    n: values.originalHost,
    p: String(values.port),
    r: values.user,
    u: me.user,
  }
}

/** percent_expand with `tokens` (which keys are allowed, and their values); throws on an unknown or dangling %. */
export function percentExpand(text: string, tokens: Record<string, string>): string {
  return text.replace(/%(.?)/gs, (_, key: string) => {
    if (key === '%') return '%'
    if (key === '') throw new Error(`invalid format "${text}": % at the end`)
    const value = tokens[key]
    if (value === undefined) throw new Error(`unknown key %${key} in "${text}"`)
    return value
  })
}

/** ${NAME} from the environment; throws when one is unset, as ssh does. */
export function dollarExpand(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return text.replace(/\$\{([^}]*)(\}?)/g, (_, name: string, close: string) => {
    if (!close) throw new Error(`unterminated \${ in "${text}"`)
    const value = env[name]
    if (value === undefined) throw new Error(`env var \${${name}} has no value`)
    return value
  })
}

function homeOf(user: string): string {
  if (user === '') return localIdentity().home
  const entry = execFileSync('getent', ['passwd', user], { encoding: 'utf8' }).trim()
  return entry.split(':')[5]
}

/** tilde_expand_filename: `~` and `~/…` are the local user's home, `~user/…` that user's. */
export function expandTilde(path: string): string {
  const m = /^~([^/]*)(.*)$/s.exec(path)
  if (!m) return path
  try {
    return homeOf(m[1]) + m[2]
  } catch {
    throw new Error(`no such user ${m[1]} in "${path}"`)
  }
}

/** A path as ssh expands IdentityFile, CertificateFile, IdentityAgent and UserKnownHostsFile: ~, ${ENV}, %tokens. */
export function expandPath(path: string, values: TokenValues): string {
  return percentExpand(dollarExpand(expandTilde(path)), tokenTable(values))
}

/** Tokens of ProxyCommand (ssh.c expand_proxy_command): %h %n %p %r and %%. */
export function expandProxyCommand(command: string, values: TokenValues): string {
  const { host: h, originalHost: n, port, user: r } = values
  return percentExpand(command, { h, n, p: String(port), r })
}

/** Tokens of `Match exec` (readconf.c match_cfg_line). */
export function expandMatchExec(command: string, values: TokenValues): string {
  return percentExpand(command, tokenTable(values))
}
