import type { V1APIGroupList } from '@kubernetes/client-node'
import type { ClusterClient } from './client.js'
import { ClusterError } from './errors.js'

export const ISTIO_GROUP = 'networking.istio.io'
/** v1 since Istio 1.24; v1beta1 and v1alpha3 on older control planes. */
export const ISTIO_VERSIONS = ['v1', 'v1beta1', 'v1alpha3']

const MEMO = 'istio-api-versions'
const NO_SUCH_API = 'the server could not find the requested resource'

// The served networking.istio.io versions in our preference order, from discovery (asked once per connection).
async function servedVersions(client: ClusterClient): Promise<string[]> {
  if (!client.memo.has(MEMO)) {
    const lookup = client
      .call({ verb: 'list', resource: 'API groups' }, () => client.apis.getAPIVersions())
      .then((list: V1APIGroupList) => {
        const group = list.groups.find((g) => g.name === ISTIO_GROUP)
        if (!group) {
          const text = `Istio is not installed: the cluster serves no ${ISTIO_GROUP} API (are the Istio CRDs applied?)`
          throw new ClusterError(text, 'not-found', 404)
        }
        const served = group.versions.map((v) => v.version)
        return ISTIO_VERSIONS.filter((v) => served.includes(v))
      })
      // Discovery refused (RBAC): try the versions in order and learn from 404s.
      .catch((e: unknown) => {
        if (e instanceof ClusterError && e.kind === 'forbidden') return ISTIO_VERSIONS
        throw e
      })
    client.memo.set(MEMO, lookup)
  }
  return client.memo.get(MEMO) as Promise<string[]>
}

/**
 * Runs `fn` with the newest networking.istio.io version the server serves; a "could not find the requested
 * resource" 404 (group version not served) moves on to the next version.
 */
export async function withIstioVersion<T>(client: ClusterClient, fn: (version: string) => Promise<T>): Promise<T> {
  const versions = await servedVersions(client)
  for (const [i, version] of versions.entries()) {
    try {
      return await fn(version)
    } catch (e) {
      const unserved = e instanceof ClusterError && e.kind === 'not-found' && e.apiMessage === NO_SUCH_API
      if (!unserved || i === versions.length - 1) throw e
      client.memo.set(MEMO, Promise.resolve(versions.slice(i + 1)))
    }
  }
  const all = ISTIO_VERSIONS.map((v) => `${ISTIO_GROUP}/${v}`).join(', ')
  throw new ClusterError(`the cluster serves none of ${all}`, 'not-found', 404)
}
