import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseWorkloadGroupFile } from '../../src/bundle/workload-group.js'
import { parseYamlV2 } from '../../src/bundle/yaml-v2-parse.js'
import { InputError } from '../../src/errors.js'

describe('parseWorkloadGroupFile', () => {
  it("fills istioctl's -f defaults: empty spec.metadata and template, service account 'default'", () => {
    const wg = parseWorkloadGroupFile('kind: WorkloadGroup\nmetadata:\n  name: g\n  namespace: ns\nspec: {}\n')
    assert.equal(wg.metadata.name, 'g')
    assert.equal(wg.metadata.namespace, 'ns')
    assert.deepEqual(wg.spec.metadata, { labels: {}, annotations: {} })
    assert.equal(wg.spec.template?.serviceAccount, 'default')
    assert.deepEqual(wg.spec.template?.ports, {})
    assert.equal(wg.spec.probe, undefined)
  })

  it('keeps what the file says: labels, annotations, ports, network, probe, extra template fields', () => {
    const wg = parseWorkloadGroupFile(`metadata:
  name: g
  namespace: ns
  annotations: {a: b}
spec:
  metadata:
    labels: {app: x}
  template:
    serviceAccount: sa
    network: net1
    ports: {http: 8080}
    locality: r1/z1
  probe:
    httpGet: {port: 8080}
`)
    assert.deepEqual(wg.metadata.annotations, { a: 'b' })
    assert.deepEqual(wg.spec.metadata?.labels, { app: 'x' })
    assert.equal(wg.spec.template?.serviceAccount, 'sa')
    assert.equal(wg.spec.template?.network, 'net1')
    assert.deepEqual(wg.spec.template?.ports, { http: 8080 })
    assert.equal(wg.spec.template?.locality, 'r1/z1')
    assert.deepEqual(wg.spec.probe, { httpGet: { port: 8080 } })
  })

  it('rejects files without a name or namespace, and mistyped fields, with the path in the message', () => {
    assert.throws(() => parseWorkloadGroupFile('metadata: {name: g}\n'), /metadata\.namespace/)
    // YAML 1.1, as istioctl reads it: a namespace called `n` is the boolean false.
    assert.throws(() => parseWorkloadGroupFile('metadata: {name: g, namespace: n}\n'), /quote it/)
    assert.throws(() => parseWorkloadGroupFile('- a\n'), InputError)
    const bad = (spec: string) => () => parseWorkloadGroupFile(`metadata: {name: g, namespace: ns}\nspec: ${spec}\n`)
    assert.throws(bad('{template: {ports: {http: web}}}'), /spec\.template\.ports\.http/)
    assert.throws(bad('{template: {ports: {http: 70000000000}}}'), /port number/)
    const label = /spec\.metadata\.labels\.true in the WorkloadGroup file must be a string/
    assert.throws(bad('{metadata: {labels: {on: yes}}}'), label)
  })
})

describe('parseYamlV2 (YAML as sigs.k8s.io/yaml reads it)', () => {
  it('types plain scalars by YAML 1.1 rules and keeps quoted ones as text', () => {
    const doc = parseYamlV2('a: yes\nb: "yes"\nc: 0o17\nd: 017\ne: 0x1F\nf: 1_000\ng: ~\nh:\ni: 1.5\nj: .5\n', 'doc')
    assert.deepEqual(doc, { a: true, b: 'yes', c: 15, d: 15, e: 31, f: 1000, g: null, h: null, i: 1.5, j: 0.5 })
  })

  it('keeps timestamps and base-60 numbers as text, as yaml.v2 decodes them into interface{}', () => {
    assert.deepEqual(parseYamlV2('a: 2001-12-14\nb: 1:20\n', 'doc'), { a: '2001-12-14', b: '1:20' })
  })

  it('gives null for an empty document and an InputError naming the document for bad YAML', () => {
    assert.equal(parseYamlV2('', 'doc'), null)
    assert.equal(parseYamlV2('# only a comment\n', 'doc'), null)
    assert.throws(() => parseYamlV2('a: [', 'the mesh config'), /^InputError: the mesh config is not valid YAML/)
  })
})
