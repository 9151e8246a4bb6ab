import { istioVersionIn, releaseOf } from '../bundle/istio-version.js'
import { revisioned } from '../bundle/revision.js'
import type { IstioVersion } from '../bundle/types.js'
import type { ClusterClient } from './client.js'
import { ClusterError } from './errors.js'

/** Assumed when the cluster does not say which Istio it runs: the newest release meshvm reproduces. */
export const DEFAULT_ISTIO_VERSION: IstioVersion = { major: 1, minor: 31 }

/** Where the Istio version came from. */
export type IstioVersionSource = 'deployment' | 'injector' | 'configmap' | 'default'

// Lookups whose absence or refusal only means "no information here".
async function optional<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read()
  } catch (e) {
    if (e instanceof ClusterError && (e.kind === 'not-found' || e.kind === 'forbidden')) return undefined
    throw e
  }
}

/**
 * The revision istioctl 1.28+ uses when none is given: label `istio.io/rev` of the MutatingWebhookConfiguration
 * `istio-revision-tag-default` (`-<istioNamespace>` suffix outside istio-system), else `default`.
 */
export async function resolveRevision(client: ClusterClient, revision: string | undefined, istioNamespace: string) {
  if (revision) return revision
  const tag = 'istio-revision-tag-default'
  const name = istioNamespace === 'istio-system' ? tag : `${tag}-${istioNamespace}`
  const webhook = await optional(() =>
    client.call({ verb: 'get', resource: 'mutatingwebhookconfigurations', name }, () =>
      client.admission.readMutatingWebhookConfiguration({ name }),
    ),
  )
  return webhook?.metadata?.labels?.['istio.io/rev'] || 'default'
}

// `docker.io/istio/pilot:1.24.2` → `1.24.2`; digests and untagged images have none.
function imageTag(image: string | undefined): string | undefined {
  const last = (image ?? '').split('/').pop() ?? ''
  return last.includes('@') || !last.includes(':') ? undefined : last.split(':').pop()
}

/**
 * Which Istio the cluster runs: the `istiod[-rev]` Deployment's discovery container image tag, else the injector's
 * `global.tag` value, else the mesh ConfigMap's version label, else DEFAULT_ISTIO_VERSION.
 */
export async function detectIstioVersion(
  client: ClusterClient,
  a: {
    revision: string
    istioNamespace: string
    injectorValues?: Record<string, unknown>
    meshLabels?: Record<string, string>
  },
): Promise<{ version: IstioVersion; source: IstioVersionSource; release?: string }> {
  const name = revisioned('istiod', a.revision)
  const deployment = await optional(() =>
    client.call({ verb: 'get', resource: 'deployments', namespace: a.istioNamespace, name }, () =>
      client.apps.readNamespacedDeployment({ namespace: a.istioNamespace, name }),
    ),
  )
  const containers = deployment?.spec?.template?.spec?.containers ?? []
  const pilot = containers.find((c) => c.name === 'discovery') ?? containers[0]
  const tag = imageTag(pilot?.image)
  const fromImage = istioVersionIn(tag)
  if (fromImage) return { version: fromImage, source: 'deployment', release: releaseOf(tag) }
  const global = a.injectorValues?.global as { tag?: unknown } | undefined
  const globalTag = typeof global?.tag === 'string' ? global.tag : undefined
  const fromInjector = istioVersionIn(globalTag)
  if (fromInjector) return { version: fromInjector, source: 'injector', release: releaseOf(globalTag) }
  const labels = a.meshLabels ?? {}
  const fromLabel = istioVersionIn(labels['operator.istio.io/version'] ?? labels['app.kubernetes.io/version'])
  if (fromLabel) return { version: fromLabel, source: 'configmap' }
  return { version: DEFAULT_ISTIO_VERSION, source: 'default' }
}

/** The full Istio release of a revision's istiod (its image tag), for the matching sidecar package. */
export async function readIstioRelease(client: ClusterClient, o: { revision?: string; istioNamespace: string }) {
  const revision = await resolveRevision(client, o.revision, o.istioNamespace)
  return detectIstioVersion(client, { revision, istioNamespace: o.istioNamespace })
}
