// A hand-derived example (not upstream data), with and without ports, worked out from istio/istio istioctl/pkg/workload/workload.go.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { makeBundle } from '../../src/bundle/make-bundle.js'
import type { BundleInput } from '../../src/bundle/types.js'
import { parseWorkloadGroupFile } from '../../src/bundle/workload-group.js'
import { Secret } from '../../src/secret.js'
import { fileText } from './bundle-text.js'

const MESH = `
accessLogFile: /dev/stdout
enableAutoMtls: true
trustDomain: cluster.local
defaultConfig:
  discoveryAddress: istiod.istio-system.svc:15012
  meshId: mesh1
rootNamespace: istio-system
`

function input(ports: string): BundleInput {
  const wg = `apiVersion: networking.istio.io/v1
kind: WorkloadGroup
metadata: {name: vm-app, namespace: vm-ns}
spec:
  metadata:
    labels: {app: vm-app}
  template:
    serviceAccount: vm-sa
    network: ""
${ports}`
  return {
    workloadGroup: parseWorkloadGroupFile(wg),
    meshConfig: MESH,
    rootCert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    token: new Secret('eyJhbGciOiJSUzI1NiJ9.payload.sig'),
    clusterId: 'Kubernetes',
    revision: '',
    istioNamespace: 'istio-system',
    ingressIP: '203.0.113.10',
    autoregister: true,
    captureDns: true,
    istioVersion: { major: 1, minor: 24 },
  }
}

const LABELS_JSON =
  '{"app":"vm-app","service.istio.io/canonical-name":"vm-app","service.istio.io/canonical-revision":"latest"}'
const POD_PORTS =
  '[{"name":"grpc","containerPort":3550,"protocol":""},{"name":"http","containerPort":8080,"protocol":""}]'

const meshYaml = (podPorts: string) => `defaultConfig:
  discoveryAddress: istiod.istio-system.svc:15012
  meshId: mesh1
  proxyMetadata:
    CANONICAL_REVISION: latest
    CANONICAL_SERVICE: vm-app
    ISTIO_META_AUTO_REGISTER_GROUP: vm-app
    ISTIO_META_CLUSTER_ID: Kubernetes
    ISTIO_META_DNS_CAPTURE: "true"
    ISTIO_META_MESH_ID: mesh1
    ISTIO_META_NETWORK: ""
${podPorts}    ISTIO_META_WORKLOAD_NAME: vm-app
    ISTIO_METAJSON_LABELS: '${LABELS_JSON}'
    POD_NAMESPACE: vm-ns
    SERVICE_ACCOUNT: vm-sa
    TRUST_DOMAIN: cluster.local
`

const clusterEnv = (inbound: string, podPorts: string) => `CANONICAL_REVISION='latest'
CANONICAL_SERVICE='vm-app'
ISTIO_INBOUND_PORTS='${inbound}'
ISTIO_LOCAL_EXCLUDE_PORTS='22,15090,15021,15020'
ISTIO_METAJSON_LABELS='${LABELS_JSON}'
ISTIO_META_AUTO_REGISTER_GROUP='vm-app'
ISTIO_META_CLUSTER_ID='Kubernetes'
ISTIO_META_DNS_CAPTURE='true'
ISTIO_META_MESH_ID='mesh1'
ISTIO_META_NETWORK=''
${podPorts}ISTIO_META_WORKLOAD_NAME='vm-app'
ISTIO_NAMESPACE='vm-ns'
ISTIO_SERVICE='vm-app.vm-ns'
ISTIO_SERVICE_CIDR='*'
POD_NAMESPACE='vm-ns'
SERVICE_ACCOUNT='vm-sa'
TRUST_DOMAIN='cluster.local'
`

describe('hand-derived worked example', () => {
  it('without ports: mesh.yaml, cluster.env and hosts as derived by hand', () => {
    const bundle = makeBundle(input(''))
    assert.equal(fileText(bundle, 'mesh.yaml'), meshYaml(''))
    assert.equal(fileText(bundle, 'cluster.env'), clusterEnv('*', ''))
    assert.equal(fileText(bundle, 'hosts'), '203.0.113.10 istiod.istio-system.svc\n')
    assert.equal(fileText(bundle, 'root-cert.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
    assert.deepEqual(bundle.warnings, [])
  })

  it('with ports {http: 8080, grpc: 3550}: ISTIO_META_POD_PORTS sorted by name, inbound ports in name order', () => {
    const bundle = makeBundle(input('    ports: {http: 8080, grpc: 3550}\n'))
    assert.equal(fileText(bundle, 'mesh.yaml'), meshYaml(`    ISTIO_META_POD_PORTS: '${POD_PORTS}'\n`))
    assert.equal(fileText(bundle, 'cluster.env'), clusterEnv('3550,8080', `ISTIO_META_POD_PORTS='${POD_PORTS}'\n`))
  })
})
