import type { ClusterClient } from './client.js'
import { ingressAddress } from './facts.js'

/** Namespace names, sorted (for the interactive wizard). */
export async function listNamespaces(client: ClusterClient): Promise<string[]> {
  const list = await client.call({ verb: 'list', resource: 'namespaces' }, () => client.core.listNamespace())
  return list.items
    .map((n) => n.metadata?.name ?? '')
    .filter(Boolean)
    .sort()
}

/** The east-west gateway's address (LoadBalancer ingress IP, else first external IP), or undefined. */
export async function eastWestGatewayIP(
  client: ClusterClient,
  istioNamespace: string,
  service = 'istio-eastwestgateway',
): Promise<string | undefined> {
  return (await ingressAddress(client, undefined, service, istioNamespace)) || undefined
}
