import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { inspect } from 'node:util'
import { makeBundle } from '../../src/bundle/make-bundle.js'
import { Secret } from '../../src/secret.js'
import { clusterEnvMap, fileText } from './bundle-text.js'
import { sampleInput, TOKEN } from './sample-input.js'

const HOSTS_HINT = 'Use --ingressIP to manually specify the Gateway address to reach istiod from the VM.'

describe('makeBundle files', () => {
  it("writes istioctl's five files in its write order; only istio-token is owner-only", () => {
    const { files } = makeBundle(sampleInput())
    assert.deepEqual(
      files.map((f) => [f.name, f.mode]),
      [
        ['mesh.yaml', 0o644],
        ['cluster.env', 0o644],
        ['root-cert.pem', 0o644],
        ['istio-token', 0o600],
        ['hosts', 0o644],
      ],
    )
  })

  it('keeps the token a Secret: it appears in no text, JSON or inspect output except the istio-token content', () => {
    const bundle = makeBundle(sampleInput({ ingressIP: '' }))
    const token = bundle.files.find((f) => f.name === 'istio-token')!
    assert.ok(token.content instanceof Secret)
    assert.equal(token.content.reveal(), TOKEN)
    const others = bundle.files.filter((f) => f.name !== 'istio-token').map((f) => f.content)
    assert.ok(others.every((c) => typeof c === 'string'))
    const everything = [...others, ...bundle.warnings, JSON.stringify(bundle), inspect(bundle, { depth: 10 })]
    for (const text of [...everything, String(token.content)]) {
      assert.ok(!String(text).includes(TOKEN) && !String(text).includes('c2VjcmV0'), String(text))
    }
  })

  it('writes root-cert.pem verbatim, without adding a newline', () => {
    assert.equal(fileText(makeBundle(sampleInput({ rootCert: 'fake-CA-cert' })), 'root-cert.pem'), 'fake-CA-cert')
  })
})

describe('makeBundle workload keys', () => {
  it('canonical name and revision come from the first label present, even when empty', () => {
    const labels = { app: 'a', 'app.kubernetes.io/name': '', version: 'v2' }
    const env = clusterEnvMap(makeBundle(sampleInput({}, { metadata: { labels } })))
    assert.equal(env.get('CANONICAL_SERVICE'), "''")
    assert.equal(env.get('CANONICAL_REVISION'), "'v2'")
  })

  it('template labels override metadata labels and produce the upstream warning in Go map format', () => {
    const template = { serviceAccount: 'sa', labels: { z: '1', app: 'tmpl' } }
    const bundle = makeBundle(sampleInput({}, { metadata: { labels: { app: 'meta', tier: 'x' } }, template }))
    const canonical = '"service.istio.io/canonical-name":"tmpl","service.istio.io/canonical-revision":"latest"'
    assert.equal(clusterEnvMap(bundle).get('ISTIO_METAJSON_LABELS'), `'{"app":"tmpl",${canonical},"tier":"x","z":"1"}'`)
    assert.deepEqual(bundle.warnings, [
      'Labels should be set in the metadata. The following WorkloadEntry labels will override metadata labels: ' +
        'map[app:tmpl z:1]',
    ])
  })

  it('escapes <, > and & in the labels JSON as Go does', () => {
    const env = clusterEnvMap(makeBundle(sampleInput({}, { metadata: { labels: { note: 'a<b>&c' } } })))
    assert.match(env.get('ISTIO_METAJSON_LABELS') ?? '', /"note":"a\\u003cb\\u003e\\u0026c"/)
  })

  it('--externalIP sets ISTIO_SVC_IP and the localhost probe rewrite; --internalIP only the IP', () => {
    const ext = clusterEnvMap(makeBundle(sampleInput({ externalIP: '198.51.100.7' })))
    assert.equal(ext.get('ISTIO_SVC_IP'), "'198.51.100.7'")
    assert.equal(ext.get('REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION'), "'true'")
    const int = clusterEnvMap(makeBundle(sampleInput({ internalIP: '10.0.0.5' })))
    assert.equal(int.get('ISTIO_SVC_IP'), "'10.0.0.5'")
    assert.equal(int.has('REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION'), false)
  })

  it('--autoregister names the group in ISTIO_META_AUTO_REGISTER_GROUP', () => {
    const group = (autoregister: boolean) =>
      clusterEnvMap(makeBundle(sampleInput({ autoregister }))).get('ISTIO_META_AUTO_REGISTER_GROUP')
    assert.equal(group(true), "'vm'")
    assert.equal(group(false), undefined)
  })

  it('sorts cluster.env lines by bytes of the whole line (ISTIO_SERVICE= before ISTIO_SERVICE_CIDR=)', () => {
    const lines = fileText(makeBundle(sampleInput()), 'cluster.env').split('\n')
    assert.ok(lines.indexOf("ISTIO_SERVICE='vm.ns'") < lines.indexOf("ISTIO_SERVICE_CIDR='*'"))
    assert.equal(lines.at(-1), '')
  })

  it('a revision sets CA_ADDR; revision "default" counts as none', () => {
    const canary = clusterEnvMap(makeBundle(sampleInput({ revision: 'canary' })))
    assert.equal(canary.get('CA_ADDR'), "'istiod-canary.istio-system.svc:15012'")
    const bundle = makeBundle(sampleInput({ revision: 'default' }))
    assert.equal(clusterEnvMap(bundle).has('CA_ADDR'), false)
    assert.equal(fileText(bundle, 'hosts'), '192.0.2.1 istiod.istio-system.svc\n')
  })

  it('an API group without spec.metadata or spec.template counts them as empty', () => {
    const input = sampleInput()
    input.workloadGroup.spec = {}
    const env = clusterEnvMap(makeBundle(input))
    assert.equal(env.get('SERVICE_ACCOUNT'), "''")
    assert.equal(env.get('ISTIO_INBOUND_PORTS'), "'*'")
    assert.equal(env.get('CANONICAL_SERVICE'), "'vm'")
  })
})

describe('makeBundle hosts', () => {
  it('writes IPv6 bare and accepts a zone', () => {
    const hosts = fileText(makeBundle(sampleInput({ ingressIP: 'fe80::1%eth0' })), 'hosts')
    assert.equal(hosts, 'fe80::1%eth0 istiod.istio-system.svc\n')
  })

  it('writes nothing and warns for an address that is not an IP (leading zeros included)', () => {
    const bundle = makeBundle(sampleInput({ ingressIP: '010.0.0.1', revision: 'r2', istioNamespace: 'mesh' }))
    assert.equal(fileText(bundle, 'hosts'), '')
    assert.deepEqual(bundle.warnings, [`Could not auto-detect IP for istiod-r2.mesh.svc/mesh. ${HOSTS_HINT}`])
  })
})

describe('makeBundle with a WorkloadEntry meshvm creates (workloadEntryHealth)', () => {
  it('adds ISTIO_META_WORKLOAD_ENTRY to cluster.env in its byte-order place and changes nothing else', () => {
    const plain = makeBundle(sampleInput())
    const named = makeBundle(sampleInput({ workloadEntry: 'vm-group-10.0.0.5' }))
    const lines = (b: typeof plain) => fileText(b, 'cluster.env').split('\n')
    assert.deepEqual(
      lines(named).filter((l) => !lines(plain).includes(l)),
      ["ISTIO_META_WORKLOAD_ENTRY='vm-group-10.0.0.5'"],
    )
    const body = lines(named).filter(Boolean)
    assert.deepEqual(body, [...body].sort(), 'lines in byte order, as istioctl writes them')
    for (const name of ['mesh.yaml', 'root-cert.pem', 'hosts'] as const)
      assert.equal(fileText(named, name), fileText(plain, name), name)
  })
})
