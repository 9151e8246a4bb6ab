// Reads for `meshvm status` about who runs the mesh: istiod's release and whether its CA serves (ENABLE_CA_SERVER,
// pilot/pkg/features), and cert-manager istio-csr when it is installed (its client-certificate authenticator is off by
// default: cert-manager/istio-csr cmd/app/options, `--enable-client-cert-authenticator`). Only GET and LIST.
import { revisioned } from '../bundle/revision.js'
import type { ClusterClient } from './client.js'
import { ClusterError } from './errors.js'

/** Who signs the VMs' workload certificates, and whether it accepts the current certificate for a renewal. */
export interface CaFacts {
  kind: 'istiod' | 'istio-csr' | 'external' | 'unknown'
  /** undefined: cannot be told from the cluster. */
  acceptsClientCert?: boolean
  /** How this was found out, for the user. */
  how: string
}

export interface ControlPlaneFacts {
  /** istiod's image tag, e.g. `1.24.2`; undefined when the Deployment or its tag cannot be read. */
  release?: string
  ca: CaFacts
}

type Container = { name?: string; image?: string; args?: string[]; env?: { name: string; value?: string }[] }
type DeploymentLike = {
  metadata?: { name?: string; namespace?: string }
  spec?: { template?: { spec?: { containers?: Container[] } } }
}

const ISTIO_CSR_LABEL = 'app=cert-manager-istio-csr'

async function orUndefined<T>(read: () => Promise<T>): Promise<T | 'forbidden' | undefined> {
  try {
    return await read()
  } catch (e) {
    if (e instanceof ClusterError && e.kind === 'not-found') return undefined
    if (e instanceof ClusterError && e.kind === 'forbidden') return 'forbidden'
    throw e
  }
}

const containers = (d: DeploymentLike | undefined) => d?.spec?.template?.spec?.containers ?? []

/** `--flag`, `--flag=true` → true; `--flag=false` → false; absent → undefined. */
export function boolFlag(args: string[], flag: string): boolean | undefined {
  const hit = args.find((a) => a === `--${flag}` || a.startsWith(`--${flag}=`))
  if (hit === undefined) return undefined
  return !/=(false|0)$/i.test(hit)
}

export async function readControlPlane(
  client: ClusterClient,
  istioNamespace: string,
  revision: string,
): Promise<ControlPlaneFacts> {
  const name = revisioned('istiod', revision)
  const istiod = await orUndefined(() =>
    client.call({ verb: 'get', resource: 'deployments', namespace: istioNamespace, name }, () =>
      client.apps.readNamespacedDeployment({ namespace: istioNamespace, name }),
    ),
  )
  const discovery =
    istiod && istiod !== 'forbidden'
      ? (containers(istiod as DeploymentLike).find((c) => c.name === 'discovery') ??
        containers(istiod as DeploymentLike)[0])
      : undefined
  const tag = discovery?.image?.split('/').pop()?.split('@')[0]?.split(':')[1]
  const env = Object.fromEntries((discovery?.env ?? []).map((e) => [e.name, e.value ?? '']))
  const csrList = await orUndefined(() =>
    client.call({ verb: 'list', resource: 'deployments' }, () =>
      client.apps.listDeploymentForAllNamespaces({ labelSelector: ISTIO_CSR_LABEL }),
    ),
  )
  const csr = csrList && csrList !== 'forbidden' ? (csrList.items[0] as DeploymentLike | undefined) : undefined
  return {
    release: tag,
    ca: caFacts(istiod === 'forbidden' ? undefined : env, csr, csrList === 'forbidden', `${istioNamespace}/${name}`),
  }
}

function caFacts(
  istiodEnv: Record<string, string> | undefined,
  csr: DeploymentLike | undefined,
  csrForbidden: boolean,
  istiodName: string,
): CaFacts {
  if (csr) {
    const args = containers(csr).flatMap((c) => c.args ?? [])
    const flag = boolFlag(args, 'enable-client-cert-authenticator')
    const where = `cert-manager istio-csr ${csr.metadata?.namespace}/${csr.metadata?.name} (Deployment labelled ${ISTIO_CSR_LABEL})`
    return {
      kind: 'istio-csr',
      acceptsClientCert: flag === true,
      how: `${where}: --enable-client-cert-authenticator ${flag === undefined ? 'not set (off by default)' : flag ? 'on' : 'off'}`,
    }
  }
  if (!istiodEnv) return { kind: 'unknown', how: `istiod Deployment ${istiodName} not readable` }
  if (istiodEnv.ENABLE_CA_SERVER === 'false') {
    const where = istiodEnv.CA_ADDR ? ` (CA_ADDR ${istiodEnv.CA_ADDR})` : ''
    const why = csrForbidden ? 'Deployments may not be listed' : 'no istio-csr Deployment found'
    return {
      kind: 'external',
      how: `istiod ${istiodName} runs with ENABLE_CA_SERVER=false${where}; ${why}: whether the CA takes client certificates is unknown`,
    }
  }
  return {
    kind: 'istiod',
    acceptsClientCert: true,
    how: `istiod's own CA (${istiodName}, ENABLE_CA_SERVER not false) accepts the workload certificate`,
  }
}
