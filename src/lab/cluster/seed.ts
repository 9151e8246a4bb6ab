// What a fresh Istio install leaves in a cluster, as far as VM onboarding reads it (istio/istio istioctl/pkg/workload/workload.go; istio.io's
// virtual-machine install guide):
// the istio-system namespace, the mesh and injector ConfigMaps, the root cert, the east-west gateway and istiod.
import { stringify } from 'yaml'

export interface LabClusterSeed {
  caCertPem: string
  gatewayIP: string
  /** Istio version the lab pretends to run (istiod's image tag). */
  istioVersion: string
  clusterName: string
  meshId: string
}

export function labClusterManifests(s: LabClusterSeed): string {
  const mesh = stringify({
    trustDomain: 'cluster.local',
    defaultConfig: {
      discoveryAddress: 'istiod.istio-system.svc:15012',
      meshId: s.meshId,
      proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true' },
    },
  })
  const values = JSON.stringify({ global: { meshID: s.meshId, multiCluster: { clusterName: s.clusterName }, network: '' } })
  const docs = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio', namespace: 'istio-system', labels: { 'istio.io/rev': 'default' } }, data: { mesh } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio-sidecar-injector', namespace: 'istio-system' }, data: { values, config: '' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio-ca-root-cert', namespace: 'istio-system' }, data: { 'root-cert.pem': s.caCertPem } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'istio-eastwestgateway', namespace: 'istio-system', labels: { istio: 'eastwestgateway' } },
      spec: { type: 'LoadBalancer', ports: [{ name: 'tls-istiod', port: 15012 }, { name: 'tls', port: 15443 }] },
      status: { loadBalancer: { ingress: [{ ip: s.gatewayIP }] } },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'istiod', namespace: 'istio-system', labels: { app: 'istiod' } },
      spec: { template: { spec: { containers: [{ name: 'discovery', image: `docker.io/istio/pilot:${s.istioVersion}` }] } } },
    },
  ]
  return docs.map((d) => stringify(d)).join('---\n')
}
