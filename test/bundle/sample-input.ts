// A small BundleInput for behaviour tests: group ns/vm, one mesh proxyMetadata key, a valid ingress IP.
import type { BundleInput, WorkloadGroupObject } from '../../src/bundle/types.js'
import { Secret } from '../../src/secret.js'

export const TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.c2VjcmV0LXRva2VuLWJvZHk.c2lnbmF0dXJl'

export function sampleInput(
  overrides: Partial<BundleInput> = {},
  spec: Partial<WorkloadGroupObject['spec']> = {},
): BundleInput {
  return {
    workloadGroup: {
      metadata: { name: 'vm', namespace: 'ns' },
      spec: { metadata: {}, template: { serviceAccount: 'sa' }, ...spec },
    },
    meshConfig: 'defaultConfig:\n  proxyMetadata:\n    FROM_MESH: mesh\n',
    rootCert: 'ca',
    token: new Secret(TOKEN),
    clusterId: 'c1',
    revision: '',
    istioNamespace: 'istio-system',
    ingressIP: '192.0.2.1',
    autoregister: false,
    captureDns: true,
    istioVersion: { major: 1, minor: 24 },
    ...overrides,
  }
}

/** spec.metadata carrying a `proxy.istio.io/config` annotation. */
export const annotatedSpec = (config: string) => ({ metadata: { annotations: { 'proxy.istio.io/config': config } } })
