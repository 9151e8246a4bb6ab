// What the output looks like for each istioctl release (src/bundle/istio-version.ts says what changed when).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseIstioVersion } from '../../src/bundle/istio-version.js'
import { makeBundle } from '../../src/bundle/make-bundle.js'
import type { BundleInput } from '../../src/bundle/types.js'
import { parseWorkloadGroupFile } from '../../src/bundle/workload-group.js'
import { InputError } from '../../src/errors.js'
import { Secret } from '../../src/secret.js'
import { clusterEnvMap, fileText } from './bundle-text.js'

const WG = `metadata: {name: foo, namespace: bar}
spec:
  template: {serviceAccount: sa, ports: {http: 8080}}
`

function input(version: string, overrides: Partial<BundleInput> = {}): BundleInput {
  return {
    workloadGroup: parseWorkloadGroupFile(WG),
    meshConfig: '',
    rootCert: 'ca',
    token: new Secret('tok'),
    clusterId: 'Kubernetes',
    revision: 'rev-1',
    istioNamespace: 'istio-system',
    ingressIP: '10.0.0.1',
    internalIP: '10.10.10.10',
    autoregister: false,
    captureDns: true,
    istioVersion: parseIstioVersion(version),
    ...overrides,
  }
}

const env = (version: string, overrides: Partial<BundleInput> = {}) =>
  clusterEnvMap(makeBundle(input(version, overrides)))
const meshYaml = (version: string) => fileText(makeBundle(input(version)), 'mesh.yaml')
const hosts = (version: string, ingressIP: string) => fileText(makeBundle(input(version, { ingressIP })), 'hosts')

describe('parseIstioVersion', () => {
  it('reads major and minor from 1.10, 1.10.0, v1.24.2 and pre-release versions', () => {
    assert.deepEqual(parseIstioVersion('1.10'), { major: 1, minor: 10 })
    assert.deepEqual(parseIstioVersion('1.10.0'), { major: 1, minor: 10 })
    assert.deepEqual(parseIstioVersion('v1.24.2'), { major: 1, minor: 24 })
    assert.deepEqual(parseIstioVersion('1.25.0-beta.1'), { major: 1, minor: 25 })
  })

  it('rejects text that is not a version and releases older than 1.10', () => {
    assert.throws(() => parseIstioVersion('latest'), InputError)
    assert.throws(() => parseIstioVersion('1.9.5'), /not supported/)
  })
})

describe('output differences by istio version', () => {
  it('exclude ports: 1.10 none extra, 1.11 adds the default status port, 1.13 adds ssh', () => {
    assert.equal(env('1.10.0').get('ISTIO_LOCAL_EXCLUDE_PORTS'), "'15090,15021'")
    assert.equal(env('1.11.0').get('ISTIO_LOCAL_EXCLUDE_PORTS'), "'15090,15021,15020'")
    assert.equal(env('1.12.0').get('ISTIO_LOCAL_EXCLUDE_PORTS'), "'15090,15021,15020'")
    assert.equal(env('1.13.0').get('ISTIO_LOCAL_EXCLUDE_PORTS'), "'22,15090,15021,15020'")
  })

  it('exclude ports follow an explicit statusPort from the mesh config (not repeated when it is 15090/15021)', () => {
    const mesh = (port: number) => ({ meshConfig: `defaultConfig:\n  statusPort: ${port}\n` })
    assert.equal(env('1.10.0', mesh(15099)).get('ISTIO_LOCAL_EXCLUDE_PORTS'), "'15090,15021,15099'")
    assert.equal(env('1.24.0', mesh(15099)).get('ISTIO_LOCAL_EXCLUDE_PORTS'), "'22,15090,15021,15099'")
    assert.equal(env('1.24.0', mesh(15021)).get('ISTIO_LOCAL_EXCLUDE_PORTS'), "'22,15090,15021'")
  })

  it('revision addresses: CA_ADDR and discoveryAddress only from 1.12', () => {
    assert.equal(env('1.10.0').has('CA_ADDR'), false)
    assert.doesNotMatch(meshYaml('1.11.0'), /discoveryAddress/)
    assert.equal(env('1.12.0').get('CA_ADDR'), "'istiod-rev-1.istio-system.svc:15012'")
    assert.match(meshYaml('1.12.0'), /^ {2}discoveryAddress: istiod-rev-1\.istio-system\.svc:15012$/m)
  })

  it('the workload IP lands in cluster.env only from 1.12', () => {
    assert.equal(env('1.11.0').has('ISTIO_SVC_IP'), false)
    assert.equal(env('1.12.0').get('ISTIO_SVC_IP'), "'10.10.10.10'")
  })

  it('labels JSON: canonical-version before 1.12, canonical-revision after', () => {
    assert.match(env('1.11.0').get('ISTIO_METAJSON_LABELS') ?? '', /"service\.istio\.io\/canonical-version":"latest"/)
    assert.match(env('1.12.0').get('ISTIO_METAJSON_LABELS') ?? '', /"service\.istio\.io\/canonical-revision":"latest"/)
  })

  it('ISTIO_META_POD_PORTS: a JSON string holding the array before 1.13, the plain array after', () => {
    const array = '[{"name":"http","containerPort":8080,"protocol":""}]'
    const asString = '"[{\\"name\\":\\"http\\",\\"containerPort\\":8080,\\"protocol\\":\\"\\"}]"'
    assert.equal(env('1.10.0').get('ISTIO_META_POD_PORTS'), `'${asString}'`)
    assert.match(meshYaml('1.10.0'), new RegExp(`^ {4}ISTIO_META_POD_PORTS: '${escape(asString)}'$`, 'm'))
    assert.equal(env('1.13.0').get('ISTIO_META_POD_PORTS'), `'${array}'`)
  })

  it('hosts: 1.10 writes any non-empty address, 1.11-1.18 IPv4 only, 1.19+ any valid IP', () => {
    assert.equal(hosts('1.10.0', 'gw.example.com'), 'gw.example.com istiod-rev-1.istio-system.svc\n')
    assert.equal(hosts('1.11.0', 'gw.example.com'), '')
    assert.equal(hosts('1.18.0', '10.0.0.1'), '10.0.0.1 istiod-rev-1.istio-system.svc\n')
    assert.equal(hosts('1.18.0', 'fd00::2'), '')
    assert.equal(hosts('1.19.0', 'fd00::2'), 'fd00::2 istiod-rev-1.istio-system.svc\n')
    assert.equal(hosts('1.19.0', 'gw.example.com'), '')
  })
})

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
