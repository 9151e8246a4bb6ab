import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { toYamlV2 } from '../../src/bundle/yaml-v2.js'
import { compareYamlKeys } from '../../src/bundle/yaml-v2-sort.js'

// Expected texts are what go-yaml v2 (through sigs.k8s.io/yaml) writes for the same JSON values.
const scalarLine = (s: string) => toYamlV2({ k: s }).slice('k: '.length, -1)

describe('yaml.v2 emitter: string scalars', () => {
  const cases: Array<[string, string, string]> = [
    ['plain word', 'foo', 'foo'],
    ['host:port stays plain (no space after the colon)', 'istiod.ns.svc:15012', 'istiod.ns.svc:15012'],
    ['empty string reads as null', '', '""'],
    ['YAML 1.1 boolean true', 'true', '"true"'],
    ['YAML 1.1 boolean yes', 'yes', '"yes"'],
    ['YAML 1.1 boolean Off', 'Off', '"Off"'],
    ['YAML 1.1 boolean y', 'y', '"y"'],
    ['null word', 'null', '"null"'],
    ['tilde', '~', '"~"'],
    ['integer', '8080', '"8080"'],
    ['negative integer', '-1', '"-1"'],
    ['hex integer', '0x1F', '"0x1F"'],
    ['octal integer', '017', '"017"'],
    ['integer with underscores', '1_000', '"1_000"'],
    ['float', '1.5', '"1.5"'],
    ['float with exponent', '1e3', '"1e3"'],
    ['float starting with a dot', '.5', '".5"'],
    ['infinity', '.inf', '".inf"'],
    ['base-60 number', '1:20', '"1:20"'],
    ['date', '2001-12-14', '"2001-12-14"'],
    ['not a date (month 13)', '2001-13-14', '2001-13-14'],
    ['version-like text', '1.2.3', '1.2.3'],
    ['asterisk is an alias indicator', '*', "'*'"],
    ['JSON object text starts with a flow indicator', '{"a":"b"}', `'{"a":"b"}'`],
    ['colon-space inside', 'a: b', "'a: b'"],
    ['space-hash inside', 'a #b', "'a #b'"],
    ['hash without space before it', 'a#b', 'a#b'],
    ['leading space', ' lead', "' lead'"],
    ['trailing space', 'trail ', "'trail '"],
    ['leading dash-space', '- a', "'- a'"],
    ['lone dash', '-', "'-'"],
    ['dash without space', '-a', '-a'],
    ['document marker prefix', '---x', "'---x'"],
    ['apostrophe inside stays plain', "it's", "it's"],
    ['leading quote is doubled inside single quotes', "'q'", "'''q'''"],
    ['tab is not printable: double-quoted and escaped', 'a\tb', '"a\\tb"'],
    ['carriage return escaped', 'a\rb', '"a\\rb"'],
    ['non-BMP character escaped', '\u{1F600}', '"\\U0001F600"'],
    ['accented letters stay plain', 'café', 'café'],
    ['percent sign at start', '%x', "'%x'"],
    ['question mark without space', '?x', '?x'],
  ]
  for (const [what, input, expected] of cases) {
    it(`${what}: ${JSON.stringify(input)} → ${expected}`, () => assert.equal(scalarLine(input), expected))
  }

  it('multi-line text uses a literal block, chomping by its trailing newlines', () => {
    assert.equal(toYamlV2({ k: 'a\nb' }), 'k: |-\n  a\n  b\n')
    assert.equal(toYamlV2({ k: 'a\n' }), 'k: |\n  a\n')
    assert.equal(toYamlV2({ k: 'a\n\n' }), 'k: |+\n  a\n\n')
    assert.equal(toYamlV2({ k: 'a\n\nb' }), 'k: |-\n  a\n\n  b\n')
  })

  it('a literal block starting with a space carries an indentation indicator', () => {
    assert.equal(toYamlV2({ k: ' a\nb' }), 'k: |2-\n   a\n  b\n')
  })

  it('multi-line text with a space before a newline falls back to double quotes', () => {
    assert.equal(toYamlV2({ k: 'a \nb' }), 'k: "a \\nb"\n')
  })

  it('nested literal blocks are indented under their key', () => {
    assert.equal(toYamlV2({ a: { k: 'x\ny' } }), 'a:\n  k: |-\n    x\n    y\n')
  })

  it('folds a long plain scalar at the first space past column 80, continuing two spaces in', () => {
    const words = Array(30).fill('word').join(' ')
    const first = Array(16).fill('word').join(' ')
    const rest = Array(14).fill('word').join(' ')
    assert.equal(toYamlV2({ long: words }), `long: ${first}\n  ${rest}\n`)
  })

  it('quotes keys by the same rules as values', () => {
    assert.equal(toYamlV2({ n: 1, 'a: b': 2, '8080': 3 }), '"8080": 3\n\'a: b\': 2\n"n": 1\n')
  })
})

describe('yaml.v2 emitter: other scalars and structure', () => {
  it('writes numbers as Go formats them: integers as digits, floats shortest with e+XX from 1e6', () => {
    const value = { a: 8080, b: 1.5, c: 1234567.5, d: 0.00001, e: 1e21, f: -0, g: 100000 }
    assert.equal(toYamlV2(value), 'a: 8080\nb: 1.5\nc: 1.2345675e+06\nd: 1e-05\ne: 1e+21\nf: 0\ng: 100000\n')
  })

  it('writes booleans and null plainly', () => {
    assert.equal(toYamlV2({ a: true, b: false, c: null }), 'a: true\nb: false\nc: null\n')
  })

  it('writes empty collections in flow style and an empty document as {}', () => {
    assert.equal(toYamlV2({ a: {}, b: [] }), 'a: {}\nb: []\n')
    assert.equal(toYamlV2({}), '{}\n')
  })

  it('indents nested mappings by two and does not indent sequences under their key', () => {
    const value = { top: { list: ['a', { b: 1, c: [1, 2] }, [3, 4], []], sub: { x: 'y' } } }
    const expected = [
      'top:',
      '  list:',
      '  - a',
      '  - b: 1',
      '    c:',
      '    - 1',
      '    - 2',
      '  - - 3',
      '    - 4',
      '  - []',
      '  sub:',
      '    x: "y"',
      '',
    ].join('\n')
    assert.equal(toYamlV2(value), expected)
  })

  it('writes a top-level sequence from column 0', () => {
    assert.equal(toYamlV2(['a', { b: 'c' }]), '- a\n- b: c\n')
  })
})

describe('yaml.v2 key order (keyList.Less)', () => {
  const sorted = (keys: string[]) => [...keys].sort(compareYamlKeys)

  it('puts ISTIO_META_WORKLOAD_NAME before ISTIO_METAJSON_LABELS: a non-letter sorts before a letter', () => {
    assert.deepEqual(sorted(['ISTIO_METAJSON_LABELS', 'ISTIO_META_WORKLOAD_NAME']), [
      'ISTIO_META_WORKLOAD_NAME',
      'ISTIO_METAJSON_LABELS',
    ])
  })

  it('compares digit runs by value', () => {
    assert.deepEqual(sorted(['a10', 'a9', 'a2', 'a100']), ['a2', 'a9', 'a10', 'a100'])
  })

  it('orders letters by code point (upper case first) and a prefix before longer keys', () => {
    assert.deepEqual(sorted(['b', 'a', 'B', 'ab', 'A']), ['A', 'B', 'a', 'ab', 'b'])
  })

  it('orders two non-letters by code point', () => {
    assert.deepEqual(sorted(['a_', 'a.', 'a-']), ['a-', 'a.', 'a_'])
  })
})
