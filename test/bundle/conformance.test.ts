import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { makeBundle } from '../../src/bundle/make-bundle.js'
import { Secret } from '../../src/secret.js'
import { conformanceCases, golden } from './conformance-cases.js'

const text = (content: string | Secret) => (content instanceof Secret ? content.reveal() : content)

describe('istioctl x workload entry configure conformance goldens', () => {
  for (const { dir, input, trimmed } of conformanceCases()) {
    it(`${dir}: all five files equal upstream's goldens`, () => {
      const { files } = makeBundle(input)
      assert.deepEqual(
        files.map((f) => f.name),
        ['mesh.yaml', 'cluster.env', 'root-cert.pem', 'istio-token', 'hosts'],
      )
      for (const file of files) {
        const expected = golden(dir, file.name)
        const actual = text(file.content)
        if (trimmed) assert.equal(actual.trim(), expected.trim(), file.name)
        else assert.equal(actual, expected, file.name)
      }
    })
  }

  it('vmconfig-nil-proxy-metadata: warns that no ingress IP was found, as upstream logs', () => {
    const nil = conformanceCases().find((c) => c.dir === 'vmconfig-nil-proxy-metadata')!
    assert.deepEqual(makeBundle(nil.input).warnings, [
      'Could not auto-detect IP for istiod.istio-system.svc/istio-system. ' +
        'Use --ingressIP to manually specify the Gateway address to reach istiod from the VM.',
    ])
  })

  it('vmconfig-ipv4: a usable ingress IP gives no warning', () => {
    const ipv4 = conformanceCases().find((c) => c.dir === 'vmconfig-ipv4')!
    assert.deepEqual(makeBundle(ipv4.input).warnings, [])
  })
})
