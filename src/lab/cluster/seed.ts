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
  /**
   * `token-only`: the cluster looks like one whose CA is cert-manager istio-csr with its default flags: istiod runs
   * with ENABLE_CA_SERVER=false and the istio-csr Deployment does not enable its client-certificate authenticator
   * (cert-manager/istio-csr#279). The lab still serves that CA on istiod's address, so VMs need no extra name.
   */
  caMode?: 'istiod' | 'token-only'
}

/** cert-manager istio-csr as its Helm chart installs it (namespace cert-manager, gRPC on 443 → 6443). */
function istioCsrObjects(): object[] {
  const labels = { app: 'cert-manager-istio-csr' }
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cert-manager' } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'cert-manager-istio-csr', namespace: 'cert-manager', labels },
      spec: { selector: labels, ports: [{ name: 'web', port: 443, targetPort: 6443 }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'cert-manager-istio-csr', namespace: 'cert-manager', labels },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'cert-manager-istio-csr',
                image: 'quay.io/jetstack/cert-manager-istio-csr:v0.14.0',
                args: ['--log-level=1', '--serving-address=0.0.0.0:6443', '--issuer-name=istio-ca', '--issuer-kind=Issuer'],
              },
            ],
          },
        },
      },
    },
  ]
}

function istiodContainer(s: LabClusterSeed): object {
  const image = `docker.io/istio/pilot:${s.istioVersion}`
  if (s.caMode !== 'token-only') return { name: 'discovery', image }
  const env = [
    { name: 'ENABLE_CA_SERVER', value: 'false' },
    { name: 'CA_ADDR', value: 'cert-manager-istio-csr.cert-manager.svc:443' },
  ]
  return { name: 'discovery', image, env }
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
      spec: { template: { spec: { containers: [istiodContainer(s)] } } },
    },
    ...(s.caMode === 'token-only' ? istioCsrObjects() : []),
  ]
  return docs.map((d) => stringify(d)).join('---\n')
}
