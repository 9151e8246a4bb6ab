import { setTimeout as sleep } from 'node:timers/promises'
import { forbidden, internalError, serviceUnavailable, StatusError, unauthorized } from './status.js'
import { ISSUER, type TokenIssuer } from './tokens.js'

/** Refuse requests as RBAC would: `resource` may name a subresource (`serviceaccounts/token`). */
export interface ForbidRule {
  verb: string
  resource: string
  namespace?: string
}

/** Make the next `times` requests whose path contains `path` (or matches it) fail with `status`, after `delayMs`. */
export interface Fault {
  path: string | RegExp
  method?: string
  times: number
  /** 500 InternalError, 503 ServiceUnavailable, 429 TooManyRequests; omit to only delay. */
  status?: 500 | 503 | 429
  delayMs?: number
}

/**
 * Who the request is from, or a 401: the static token's user, the subject of a service-account JWT for the API
 * server's audience, or (no token configured) anyone.
 */
export function authenticate(
  header: string | undefined,
  issuer: TokenIssuer,
  token: string | undefined,
  tokenUser: string,
): string {
  const bearer = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]
  if (token && bearer === token) return tokenUser
  if (bearer && bearer.split('.').length === 3) {
    const r = issuer.check(bearer, [ISSUER])
    if ('claims' in r) return r.claims.sub
  }
  if (token || bearer) throw unauthorized()
  return tokenUser
}

export interface AccessRequest {
  user: string
  verb: string
  group: string
  resource: string
  subresource?: string
  namespace?: string
  name?: string
}

export function authorize(rules: ForbidRule[], a: AccessRequest): void {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource
  // For Namespace objects RBAC's namespace attribute is the namespace's own name.
  const namespace = a.resource === 'namespaces' && a.name ? a.name : a.namespace
  const refused = rules.some(
    (r) =>
      (r.verb === '*' || r.verb === a.verb) &&
      r.resource === resource &&
      (r.namespace === undefined || r.namespace === namespace),
  )
  if (refused) throw forbidden({ ...a, namespace })
}

/** Injected faults; consumed in order, each counting down its `times`. */
export class FaultPlan {
  readonly #faults: Fault[] = []
  readonly #abort = new AbortController()

  add(f: Fault): void {
    this.#faults.push({ ...f })
  }

  /** Applies the first matching fault: waits, then throws its Status (if any). */
  async apply(method: string, path: string): Promise<void> {
    const matches = (x: Fault) => (typeof x.path === 'string' ? path.includes(x.path) : x.path.test(path))
    const f = this.#faults.find((x) => x.times > 0 && (!x.method || x.method === method) && matches(x))
    if (!f) return
    f.times -= 1
    if (f.delayMs) await sleep(f.delayMs, undefined, { signal: this.#abort.signal }).catch(() => undefined)
    if (f.status === 500) throw internalError('injected fault')
    if (f.status === 503) throw serviceUnavailable('the server is currently unable to handle the request')
    if (f.status === 429) throw new StatusError(429, 'TooManyRequests', 'Too many requests, please try again later.')
  }

  /** Ends pending delays, so close() does not wait for them. */
  cancel(): void {
    this.#abort.abort()
  }
}
