// The four upstream conformance cases of `istioctl x workload entry configure`, as BundleInput values built from the
// fixture files (inputs per test/fixtures/conformance/istioctl-workload-entry-configure/README.md).
import { readFileSync } from 'node:fs'
import { parseWorkloadGroupFile } from '../../src/bundle/workload-group.js'
import type { BundleFileName, BundleInput } from '../../src/bundle/types.js'
import { Secret } from '../../src/secret.js'

const ROOT = new URL('../../../test/fixtures/conformance/istioctl-workload-entry-configure/', import.meta.url)

export const readCaseFile = (dir: string, file: string) => readFileSync(new URL(`${dir}/${file}`, ROOT), 'utf8')
export const golden = (dir: string, name: BundleFileName) => readCaseFile(dir, `${name}.golden`)

export interface ConformanceCase {
  dir: string
  input: BundleInput
  /** Upstream compared the 1.10 goldens after trimming surrounding whitespace. */
  trimmed: boolean
}

function caseInput(dir: string, overrides: Partial<BundleInput>): BundleInput {
  return {
    workloadGroup: parseWorkloadGroupFile(readCaseFile(dir, 'workloadgroup.yaml')),
    meshConfig: overrides.meshConfig ?? readCaseFile(dir, 'meshconfig.yaml'),
    rootCert: 'fake-CA-cert',
    token: new Secret(''),
    clusterId: 'Kubernetes',
    revision: '',
    istioNamespace: 'istio-system',
    ingressIP: '',
    autoregister: false,
    captureDns: true,
    istioVersion: { major: 1, minor: 31 },
    ...overrides,
  }
}

export const conformanceCases = (): ConformanceCase[] => [
  {
    dir: 'vmconfig-ipv4',
    input: caseInput('vmconfig-ipv4', { revision: 'rev-1', internalIP: '10.10.10.10', ingressIP: '10.10.10.11' }),
    trimmed: false,
  },
  {
    dir: 'vmconfig-ipv6',
    input: caseInput('vmconfig-ipv6', { revision: 'rev-1', internalIP: 'fd00:10:96::1', ingressIP: 'fd00:10:96::2' }),
    trimmed: false,
  },
  {
    dir: 'vmconfig-nil-proxy-metadata',
    input: caseInput('vmconfig-nil-proxy-metadata', { meshConfig: 'defaultConfig: {}', internalIP: '10.10.10.10' }),
    trimmed: false,
  },
  {
    dir: 'legacy-1.10.0-vmconfig-simple',
    input: caseInput('legacy-1.10.0-vmconfig-simple', { istioVersion: { major: 1, minor: 10 } }),
    trimmed: true,
  },
]
