import { ApiException } from '@kubernetes/client-node'
import { ExitError } from '../errors.js'

/** What went wrong, as far as a caller needs to branch on it. */
export type ClusterErrorKind =
  'config' | 'unauthorized' | 'forbidden' | 'not-found' | 'conflict' | 'invalid' | 'server' | 'timeout' | 'unreachable'

/** A Kubernetes failure in our own words; `apiMessage` is the API server's Status message (Go's `err.Error()` text). */
export class ClusterError extends ExitError {
  constructor(
    message: string,
    readonly kind: ClusterErrorKind = 'config',
    readonly status?: number,
    readonly apiMessage?: string,
  ) {
    super(message)
    this.name = 'ClusterError'
  }
}

/** One API call, described for messages: `get configmaps "istio" in namespace istio-system`. */
export interface Operation {
  verb: string
  resource: string
  namespace?: string
  name?: string
}

export function describe(op: Operation): string {
  const what = op.name ? `${op.resource} "${op.name}"` : op.resource
  return `${op.verb} ${what}${op.namespace ? ` in namespace ${op.namespace}` : ''}`
}

interface StatusBody {
  message?: string
  reason?: string
}

function statusOf(e: ApiException<unknown>): StatusBody {
  const body = e.body
  if (body && typeof body === 'object') return body as StatusBody
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as StatusBody
    } catch {
      return { message: body.slice(0, 200) }
    }
  }
  return {}
}

const NETWORK_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]

/** Timeouts, connection failures, 5xx and 429 are worth another attempt; other answers are final. */
export function isRetryable(e: unknown): boolean {
  if (e instanceof ApiException) return e.code >= 500 || e.code === 429
  return isTimeout(e) || networkCode(e) !== undefined
}

const isTimeout = (e: unknown) => e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError')

function networkCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown; errno?: unknown } | undefined)?.code
  return typeof code === 'string' && NETWORK_CODES.includes(code) ? code : undefined
}

/** Where the call went, for messages. */
export interface CallContext {
  server: string
  context: string
  attempts: number
  timeoutMs: number
}

/** A 2xx answer that is not JSON (seen in the response middleware, before client-node parses it). */
export class NotApiAnswer extends Error {}

/** An answer that is not the API's JSON: whatever answered is not a Kubernetes API server (or not only one). */
function notJson(op: Operation, server: string, what: string): ClusterError {
  return new ClusterError(
    `${server} answered ${describe(op)} with something that is not a Kubernetes API answer (${what}); ` +
      "is the kubeconfig's server address right, and no proxy or login page in between?",
    'server',
  )
}

/** Translates a client-node failure (ApiException, FetchError, AbortError) into a ClusterError. */
export function toClusterError(e: unknown, op: Operation, at: CallContext): ClusterError {
  if (e instanceof ClusterError) return e
  const doing = describe(op)
  if (e instanceof ApiException) {
    const { message = `HTTP ${e.code}`, reason } = statusOf(e)
    if (e.code === 401) {
      return new ClusterError(
        `the Kubernetes API server ${at.server} rejected the credentials of context "${at.context}" ` +
          `(401 Unauthorized) trying to ${doing}`,
        'unauthorized',
        401,
        message === 'HTTP 401' ? 'Unauthorized' : message,
      )
    }
    if (e.code === 403) {
      const scope = op.namespace ? `in namespace ${op.namespace}` : 'at cluster scope'
      const text = `not allowed to ${op.verb} ${op.resource} ${scope} (403 Forbidden): ${message}`
      return new ClusterError(text, 'forbidden', 403, message)
    }
    if (e.code === 404) return new ClusterError(`cannot ${doing}: ${message}`, 'not-found', 404, message)
    if (e.code === 409) return new ClusterError(`cannot ${doing}: ${message}`, 'conflict', 409, message)
    if (e.code === 422 || e.code === 400) {
      return new ClusterError(`cannot ${doing}: ${message}`, 'invalid', e.code, message)
    }
    const tries = at.attempts > 1 ? ` after ${at.attempts} attempts` : ''
    return new ClusterError(
      `the Kubernetes API server failed to ${doing}${tries}: ${message} (HTTP ${e.code}${reason ? ` ${reason}` : ''})`,
      'server',
      e.code,
      message,
    )
  }
  if (e instanceof SyntaxError) return notJson(op, at.server, `not JSON: ${e.message}`)
  if (e instanceof NotApiAnswer) return notJson(op, at.server, e.message)
  if (isTimeout(e)) {
    const text = `timed out trying to ${doing} at ${at.server} (${at.timeoutMs} ms, ${at.attempts} attempts)`
    return new ClusterError(text, 'timeout')
  }
  const code = networkCode(e)
  if (code) {
    const text = `cannot reach the Kubernetes API server ${at.server} to ${doing} (${at.attempts} attempts): ${code}`
    return new ClusterError(text, 'unreachable')
  }
  return new ClusterError(`cannot ${doing} at ${at.server}: ${e instanceof Error ? e.message : String(e)}`, 'config')
}
