// ProxyJump values as readconf.c parse_jump reads them: `[user@]host[:port]` or `ssh://[user@]host[:port]`, comma
// separated; the last entry is the host ssh connects through, the others (`extra`) are how ssh reaches that one.

/** One jump host as written. */
export interface JumpHost {
  user?: string
  host: string
  port?: number
}

/** A parsed ProxyJump: the last host, and the hops before it as written (ssh passes them on as `-J extra`). */
export interface JumpSpec {
  last: JumpHost
  extra?: string
}

/** misc.c a2port / strtonum: a decimal 1–65535. */
export function toPort(text: string): number | undefined {
  if (!/^[ \t]*[+]?\d+$/.test(text)) return undefined
  const n = Number(text.trim())
  return n >= 1 && n <= 65535 ? n : undefined
}

function splitHostPort(text: string): { host: string; port?: string } | undefined {
  if (text.startsWith('[')) {
    const end = text.indexOf(']')
    if (end < 0) return undefined
    const after = text.slice(end + 1)
    if (after !== '' && !/^[:/]/.test(after)) return undefined
    return { host: text.slice(1, end), port: after.slice(1) || undefined }
  }
  const i = text.search(/[:/]/)
  return i < 0 ? { host: text } : { host: text.slice(0, i), port: text.slice(i + 1) || undefined }
}

function hostPort(user: string | undefined, rest: string): JumpHost | undefined {
  const hp = splitHostPort(rest)
  if (!hp || hp.host === '') return undefined
  if (hp.port === undefined) return { user, host: hp.host }
  const port = toPort(hp.port)
  return port === undefined ? undefined : { user, host: hp.host, port }
}

/** misc.c parse_ssh_uri (ssh://user;params@host:port, no path) or parse_user_host_port. */
export function parseJumpHost(text: string): JumpHost | undefined {
  if (text.toLowerCase().startsWith('ssh://')) {
    const body = text.slice(6)
    if (/\//.test(body.replace(/^\[[^\]]*\]/, ''))) return undefined
    const at = body.lastIndexOf('@')
    const user = at >= 0 ? decodeURIComponent(body.slice(0, at).split(';')[0]) : undefined
    if (user === '') return undefined
    return hostPort(user, at >= 0 ? body.slice(at + 1) : body)
  }
  const at = text.lastIndexOf('@')
  if (at === 0) return undefined
  return hostPort(at > 0 ? text.slice(0, at) : undefined, text.slice(at + 1))
}

/** A ProxyJump value; 'none'; undefined when ssh would call it invalid. */
export function parseJump(value: string): JumpSpec | 'none' | undefined {
  if (value.toLowerCase() === 'none') return 'none'
  const text = value.replace(/#.*$/s, '').replace(/[ \t\r\n]+$/, '')
  const entries = text.split(',')
  const hosts = entries.map(parseJumpHost)
  if (hosts.some((h) => h === undefined)) return undefined
  const cut = text.lastIndexOf(',')
  return { last: hosts[hosts.length - 1]!, extra: cut > 0 ? value.slice(0, cut) : undefined }
}

/** As `ssh -G` prints it: the extra hops as written, then `[user@]host[:port]`, an IPv6 host in brackets. */
export function formatJump(spec: JumpSpec): string {
  const { user, host, port } = spec.last
  const last = `${user ? `${user}@` : ''}${host.includes(':') ? `[${host}]` : host}${port ? `:${port}` : ''}`
  return spec.extra ? `${spec.extra},${last}` : last
}
