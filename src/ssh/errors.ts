import { ExitCode, ExitError } from '../errors.js'
import type { SshErrorKind } from './types.js'

/** A failure talking to one VM; `host` names it as `user@host:port`. */
export class SshError extends ExitError {
  constructor(
    readonly kind: SshErrorKind,
    readonly host: string,
    message: string,
  ) {
    super(message, kind === 'command' ? ExitCode.failed : ExitCode.unreachable)
    this.name = 'SshError'
  }
}

/** As Ansible's UNREACHABLE: the VM could not be reached or logged into (auth, host key, timeout, connection). */
export function isUnreachable(err: unknown): err is SshError {
  return err instanceof SshError && err.kind !== 'command'
}

const SOCKET_ERRORS: Record<string, [SshErrorKind, string]> = {
  ECONNREFUSED: ['connection', 'connection refused'],
  ECONNRESET: ['connection', 'connection reset'],
  EHOSTUNREACH: ['connection', 'host unreachable'],
  ENETUNREACH: ['connection', 'network unreachable'],
  ENOTFOUND: ['connection', 'cannot resolve host name'],
  EAI_AGAIN: ['connection', 'cannot resolve host name'],
  ETIMEDOUT: ['timeout', 'connection timed out'],
  EPIPE: ['connection', 'connection closed'],
}

/** Turns an ssh2 or socket error into an SshError naming `where` (`user@host:port`). */
export function translateError(err: unknown, where: string): SshError {
  if (err instanceof SshError) return err
  const e = err as Error & { code?: string; level?: string }
  const known = e.code ? SOCKET_ERRORS[e.code] : undefined
  if (known) return new SshError(known[0], where, `${where}: ${known[1]}`)
  // sshd's MaxAuthTries ends the connection: too many keys offered (an agent full of keys, no IdentitiesOnly).
  if (/Too many authentication failures/.test(e.message ?? '')) {
    const why =
      'too many authentication failures (sshd MaxAuthTries; IdentitiesOnly yes offers only the identity files)'
    return new SshError('auth', where, `${where}: ${why}`)
  }
  if (e.level === 'client-authentication') {
    return new SshError('auth', where, `${where}: authentication failed (all configured methods were refused)`)
  }
  if (e.level === 'client-timeout') {
    const what = /keepalive/i.test(e.message) ? 'no answer to keepalives' : 'timed out during the SSH handshake'
    return new SshError('timeout', where, `${where}: ${what}`)
  }
  return new SshError('connection', where, `${where}: ${e.message ?? String(err)}`)
}
