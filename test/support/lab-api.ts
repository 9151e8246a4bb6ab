// The API emulator seeded as the lab's cluster, for command tests that need a cluster but no lab hosts.
import { labClusterManifests } from '../../src/lab/cluster/seed.js'
import { startKubeApi, type KubeApi } from '../../src/lab/kube-api/server.js'

/**
 * Istio 1.24.2 with the CA "lab-ca" and its east-west gateway at `gatewayIP` ('' for none). istiod would copy the root
 * cert into a new namespace; with `rootCertNamespace` it is there from the start.
 */
export function startLabClusterApi(gatewayIP: string, rootCertNamespace?: string): Promise<KubeApi> {
  const seed = labClusterManifests({
    caCertPem: 'lab-ca',
    gatewayIP,
    istioVersion: '1.24.2',
    clusterName: 'c1',
    meshId: 'mesh1',
  })
  const rootCert = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: istio-ca-root-cert, namespace: ${rootCertNamespace} }\ndata: { root-cert.pem: lab-ca }\n`
  return startKubeApi({ manifests: rootCertNamespace === undefined ? [seed] : [seed, rootCert] })
}
