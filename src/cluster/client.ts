import https from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  AdmissionregistrationV1Api,
  ApisApi,
  AppsV1Api,
  AuthenticationV1Api,
  CoreV1Api,
  createConfiguration,
  CustomObjectsApi,
  ServerConfiguration,
  WellKnownApi,
  type KubeConfig,
  type RequestContext,
  type SecurityAuthentication,
  type ResponseContext,
} from '@kubernetes/client-node'
import { maskSecrets, Secret } from '../secret.js'
import { ClusterError, isRetryable, NotApiAnswer, toClusterError, type Operation } from './errors.js'
import { loadKubeConfig, type KubeconfigOptions } from './kubeconfig.js'
import { impersonationOf, type Impersonation } from './kubeconfig-select.js'

/** How to connect, and how patient to be. */
export interface ConnectOptions extends KubeconfigOptions {
  /** Per-request timeout (default 15 000 ms, istioctl's --kubeclient-timeout). */
  timeoutMs?: number
  /** Attempts for retryable failures (default 4) and the first backoff (default 200 ms, doubling). */
  retry?: { attempts?: number; baseMs?: number }
}

/** The one door to the Kubernetes API: typed client-node APIs plus `call`, which retries and translates errors. */
export interface ClusterClient {
  context: string
  server: string
  core: CoreV1Api
  apps: AppsV1Api
  admission: AdmissionregistrationV1Api
  authn: AuthenticationV1Api
  custom: CustomObjectsApi
  apis: ApisApi
  wellKnown: WellKnownApi
  /** Runs `fn` with retries on timeouts, connection errors, 5xx and 429; failures become ClusterError. */
  call<T>(op: Operation, fn: () => Promise<T>): Promise<T>
  /** Memo of per-connection lookups (e.g. the served Istio API version). */
  memo: Map<string, Promise<unknown>>
}

/**
 * client-node builds a new https.Agent for every request, so every call paid a TCP connect, a TLS handshake and a new
 * TLS context (200 calls for a 100-VM re-run: ~0.85 s of meshvm's CPU). This keeps one keep-alive agent per set of TLS
 * credentials (a credential plugin may rotate them); proxy agents, which are subclasses, are left as they are.
 */
function reusingAgents(kc: KubeConfig): SecurityAuthentication {
  const agents = new Map<string, https.Agent>()
  return {
    getName: () => kc.getName(),
    async applySecurityAuthentication(ctx: RequestContext) {
      await kc.applySecurityAuthentication(ctx)
      impersonate(ctx, impersonationOf(kc.getCurrentUser()))
      const made = ctx.getAgent()
      if (made?.constructor !== https.Agent) return
      const o = (made as https.Agent).options
      const key = JSON.stringify([o.ca, o.cert, o.key, o.pfx, o.passphrase, o.rejectUnauthorized, o.servername])
      let agent = agents.get(key)
      if (!agent) agents.set(key, (agent = new https.Agent({ ...o, keepAlive: true })))
      ctx.setAgent(agent)
    },
  }
}

/**
 * kubectl's `as-groups` and `as-uid`: one Impersonate-Group header per group, as the API server reads them (a single
 * comma-joined header would be one group). node-fetch sends each pair of an iterable header set as its own line.
 */
function impersonate(ctx: RequestContext, who: Impersonation | undefined): void {
  if (!who || (who.groups.length === 0 && !who.uid)) return
  const headers = ctx.getHeaders()
  if (who.uid) headers['Impersonate-Uid'] = who.uid
  const pairs = () => [...Object.entries(headers), ...who.groups.map((g) => ['Impersonate-Group', g])]
  Object.defineProperty(headers, Symbol.iterator, { value: () => pairs()[Symbol.iterator](), enumerable: false })
}

export function connectCluster(opts: ConnectOptions = {}): ClusterClient {
  const kc = loadKubeConfig(opts)
  const cluster = kc.getCurrentCluster()!
  const timeoutMs = opts.timeoutMs ?? 15_000
  const attempts = Math.max(1, opts.retry?.attempts ?? 4)
  const baseMs = opts.retry?.baseMs ?? 200
  const userToken = kc.getCurrentUser()?.token
  const secrets = userToken ? [new Secret(userToken)] : []
  const timeout = {
    pre: async (ctx: RequestContext) => {
      ctx.setSignal(AbortSignal.timeout(timeoutMs))
      return ctx
    },
    // a 2xx that is not JSON did not come from an API server; client-node would turn it into an empty object
    post: async (ctx: ResponseContext) => {
      const type = ctx.headers['content-type'] ?? ''
      if (ctx.httpStatusCode < 300 && type !== '' && !/json/i.test(type)) {
        const text = (await ctx.body.text().catch(() => '')).replace(/\s+/g, ' ').slice(0, 80)
        throw new NotApiAnswer(`HTTP ${ctx.httpStatusCode} ${type}: ${text}`)
      }
      return ctx
    },
  }
  const config = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: reusingAgents(kc) },
    promiseMiddleware: [timeout],
  })
  const context = kc.getCurrentContext()

  async function call<T>(op: Operation, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn()
      } catch (e) {
        if (attempt < attempts && isRetryable(e)) {
          await sleep(baseMs * 2 ** (attempt - 1))
          continue
        }
        const err = toClusterError(e, op, { server: cluster.server, context, attempts: attempt, timeoutMs })
        // Never let a credential reach a message, whatever the server echoed.
        const message = maskSecrets(err.message, secrets)
        if (message === err.message) throw err
        throw new ClusterError(message, err.kind, err.status, err.apiMessage && maskSecrets(err.apiMessage, secrets))
      }
    }
  }

  return {
    context,
    server: cluster.server,
    core: new CoreV1Api(config),
    apps: new AppsV1Api(config),
    admission: new AdmissionregistrationV1Api(config),
    authn: new AuthenticationV1Api(config),
    custom: new CustomObjectsApi(config),
    apis: new ApisApi(config),
    wellKnown: new WellKnownApi(config),
    call,
    memo: new Map(),
  }
}
