import type { Vm } from '../../src/inventory/types.js'

/** A VM as the inventory reader would give it; tests override what they care about. */
export function testVm(name: string, over: Partial<Vm> = {}): Vm {
  return {
    name,
    groups: [],
    ssh: { host: '127.0.0.1', port: 22, user: 'root' },
    workloadGroup: {
      name: 'app',
      namespace: 'ns',
      serviceAccount: 'sa',
      labels: {},
      annotations: {},
      ports: {},
      network: '',
    },
    revision: '',
    istioNamespace: 'istio-system',
    ingressService: 'istio-eastwestgateway',
    autoregister: false,
    captureDns: true,
    tokenDuration: 3600,
    package: { url: 'https://example.invalid/istio-sidecar.deb', sha256: 'a'.repeat(64) },
    become: { method: 'none' },
    vars: {},
    ...over,
  }
}
