// `meshvm workload-group create` and istioctl's spelling `meshvm x workload group create`, against Istio's own golden
// output (test/fixtures/conformance/istioctl-workload-group-create/, from TestWorkloadGroupCreate): byte for byte.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { portMap } from '../../src/bundle/workload-group-create.js'
import { runCli } from '../support/run-cli.js'

const golden = (dir: string) =>
  readFileSync(
    new URL(`../../../test/fixtures/conformance/istioctl-workload-group-create/${dir}/expected.yaml`, import.meta.url),
    'utf8',
  )

// the argv of each case after `istioctl x workload`, as the fixture README lists them
const CASES: [string, string][] = [
  ['group create --name foo --namespace bar', 'minimal'],
  [
    'group create --name foo --namespace bar --labels app=foo,bar=baz --annotations annotation=foobar --ports grpc=3550,http=8080 --serviceAccount test --weight 100',
    'full',
  ],
  [
    'group create --name foo -n bar -l app=foo,bar=baz -p grpc=3550,http=8080 -a annotation=foobar --serviceAccount test --weight 100',
    'full',
  ],
]

for (const [args, dir] of CASES) {
  test(`workload group ${args}: prints ${dir}/expected.yaml byte for byte, both spellings`, async () => {
    const [, ...rest] = args.split(' ')
    for (const argv of [
      ['x', 'workload', ...args.split(' ')],
      ['experimental', 'workload', ...args.split(' ')],
      ['workload-group', ...rest],
    ]) {
      const r = await runCli(argv)
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stdout, golden(dir), argv.join(' '))
      assert.equal(r.stderr, '')
    }
  })
}

test("missing name or namespace: istioctl's errors", async () => {
  for (const [args, error] of [
    ['group create', 'Error: expecting a workload name\n'],
    ['group create -n bar', 'Error: expecting a workload name\n'],
    ['group create --name foo', 'Error: expecting a workload namespace\n'],
  ]) {
    const r = await runCli(['x', 'workload', ...args.split(' ')])
    assert.notEqual(r.code, 0)
    assert.equal(r.stdout + r.stderr, error, args)
  }
})

test('before Istio 1.24 the group is v1alpha3; odd ports come out as Go parses them', async () => {
  const r = await runCli(['workload-group', 'create', '--name', 'foo', '-n', 'bar', '--istio-version', '1.10.0'])
  assert.equal(r.stdout, golden('minimal').replace('networking.istio.io/v1', 'networking.istio.io/v1alpha3'))
  assert.deepEqual(portMap(['http=80', 'bad=x8', 'big=4294967296', 'empty']).ports, {
    http: 80,
    bad: 0,
    big: 4294967295,
    empty: 0,
  })
})
