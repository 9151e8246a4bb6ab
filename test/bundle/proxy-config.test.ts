// mesh.yaml's defaultConfig: mesh config, annotations and probe layered as istioctl does (createMeshConfig in istio/istio istioctl/pkg/workload/workload.go).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { makeBundle } from '../../src/bundle/make-bundle.js'
import { InputError } from '../../src/errors.js'
import { clusterEnvMap, fileText } from './bundle-text.js'
import { annotatedSpec, sampleInput } from './sample-input.js'

const meshYaml = (...args: Parameters<typeof sampleInput>) => fileText(makeBundle(sampleInput(...args)), 'mesh.yaml')

describe('proxy config layering', () => {
  it('annotations override mesh proxyMetadata per key; spec.metadata wins over the object annotation', () => {
    const input = sampleInput({}, annotatedSpec('proxyMetadata: {B: spec, C: spec}'))
    input.workloadGroup.metadata.annotations = { 'proxy.istio.io/config': 'proxyMetadata: {A: obj, B: obj}' }
    const env = clusterEnvMap(makeBundle(input))
    assert.equal(env.get('FROM_MESH'), "'mesh'")
    assert.equal(env.get('A'), "'obj'")
    assert.equal(env.get('B'), "'spec'")
    assert.equal(env.get('C'), "'spec'")
  })

  it('does not crash when the mesh defaultConfig has no proxyMetadata and an annotation has some', () => {
    const mesh = 'defaultConfig:\n  meshId: m\n'
    const env = clusterEnvMap(makeBundle(sampleInput({ meshConfig: mesh }, annotatedSpec('proxyMetadata: {X: "1"}'))))
    assert.equal(env.get('X'), "'1'")
    assert.equal(env.get('ISTIO_META_MESH_ID'), "'m'")
  })

  it('other annotation fields replace mesh values wholesale, accepting proto (snake_case) names', () => {
    const mesh = 'defaultConfig:\n  discoveryAddress: mesh:15012\n  tracing: {zipkin: {address: z:9411}, sampling: 5}\n'
    const annotation = annotatedSpec('discovery_address: annot:15012\ntracing: {sampling: 1}')
    const yaml = meshYaml({ meshConfig: mesh }, annotation)
    assert.match(yaml, /^ {2}discoveryAddress: annot:15012$/m)
    assert.match(yaml, /^ {2}tracing:\n {4}sampling: 1\n/m)
    assert.doesNotMatch(yaml, /zipkin/)
  })

  it('keeps a discoveryAddress the mesh config sets, even for a revision', () => {
    const yaml = meshYaml({ meshConfig: 'defaultConfig:\n  discoveryAddress: custom:15012\n', revision: 'canary' })
    assert.match(yaml, /^ {2}discoveryAddress: custom:15012$/m)
  })

  it('replaces any readinessProbe with spec.probe, and removes it when the group has none', () => {
    const mesh = 'defaultConfig:\n  readinessProbe: {tcpSocket: {port: 1}}\n'
    assert.doesNotMatch(meshYaml({ meshConfig: mesh }), /readinessProbe/)
    const probe = { httpGet: { path: '/ready', port: 8080, host: '' }, periodSeconds: 0, failure_threshold: 3 }
    const expected = '  readinessProbe:\n    failureThreshold: 3\n    httpGet:\n      path: /ready\n      port: 8080\n'
    assert.ok(meshYaml({ meshConfig: mesh }, { probe }).endsWith(expected))
  })

  it('writes only defaultConfig, dropping other mesh fields, unset scalars and default enum values', () => {
    const mesh = [
      'accessLogFile: /dev/stdout',
      'defaultConfig:',
      '  interceptionMode: REDIRECT',
      '  holdApplicationUntilProxyStarts: false',
      '  concurrency: 0',
      '  statNameLength: 0',
      '  drainDuration: 1.5s',
      '  extraStatTags: []',
    ].join('\n')
    const yaml = meshYaml({ meshConfig: mesh })
    const head = 'defaultConfig:\n  concurrency: 0\n  drainDuration: 1.500s\n  holdApplicationUntilProxyStarts: false\n'
    assert.ok(yaml.startsWith(head + '  proxyMetadata:\n'), yaml)
    assert.doesNotMatch(yaml, /accessLogFile|interceptionMode|statNameLength|extraStatTags/)
  })

  it('reads the mesh config with YAML 1.1 typing: an unquoted yes in proxyMetadata is a boolean, rejected', () => {
    const mesh = (v: string) => `defaultConfig:\n  proxyMetadata:\n    ISTIO_META_DNS_CAPTURE: ${v}\n`
    assert.throws(() => makeBundle(sampleInput({ meshConfig: mesh('yes'), captureDns: false })), InputError)
    const quoted = makeBundle(sampleInput({ meshConfig: mesh('"yes"'), captureDns: false }))
    assert.equal(clusterEnvMap(quoted).get('ISTIO_META_DNS_CAPTURE'), "'yes'")
  })

  it('--capture-dns=false writes no ISTIO_META_DNS_CAPTURE, so a mesh value survives', () => {
    const meshConfig = 'defaultConfig:\n  proxyMetadata:\n    ISTIO_META_DNS_CAPTURE: "false"\n'
    const kept = clusterEnvMap(makeBundle(sampleInput({ meshConfig, captureDns: false })))
    assert.equal(kept.get('ISTIO_META_DNS_CAPTURE'), "'false'")
    assert.equal(clusterEnvMap(makeBundle(sampleInput({ captureDns: false }))).has('ISTIO_META_DNS_CAPTURE'), false)
  })

  it('rejects a mesh config that is not YAML', () => {
    assert.throws(() => makeBundle(sampleInput({ meshConfig: 'defaultConfig: [' })), /not valid YAML/)
  })
})
