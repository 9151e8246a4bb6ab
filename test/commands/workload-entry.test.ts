// The four upstream conformance cases end to end: the real CLI, the real @kubernetes/client-node, HTTP to the emulator
// loaded with each case's fake-cluster.yaml; files compared byte for byte with Istio's goldens.
import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { writeKubeconfig } from '../../src/lab/kube-api/kubeconfig-file.js'
import { startKubeApi, type KubeApi } from '../../src/lab/kube-api/server.js'
import { createLabPki, issueServingCert } from '../../src/lab/pki.js'
import { readCaseFile } from '../bundle/conformance-cases.js'
import { runCli } from '../support/run-cli.js'

const CASES: Record<string, { args: string[]; trimmed: boolean; warning?: string }> = {
  'vmconfig-ipv4': {
    args: ['--internalIP', '10.10.10.10', '--ingressIP', '10.10.10.11', '--revision', 'rev-1'],
    trimmed: false,
  },
  'vmconfig-ipv6': {
    args: ['--internalIP', 'fd00:10:96::1', '--ingressIP', 'fd00:10:96::2', '--revision', 'rev-1'],
    trimmed: false,
  },
  'vmconfig-nil-proxy-metadata': {
    args: ['--internalIP', '10.10.10.10'],
    trimmed: false,
    warning:
      'Could not auto-detect IP for istiod.istio-system.svc/istio-system. Use --ingressIP to manually specify the Gateway address to reach istiod from the VM.',
  },
  'legacy-1.10.0-vmconfig-simple': { args: ['--istio-version', '1.10.0'], trimmed: true },
}
const FILES = ['cluster.env', 'mesh.yaml', 'root-cert.pem', 'hosts'] as const

for (const [dir, c] of Object.entries(CASES)) {
  describe(`workload-entry configure: ${dir}`, () => {
    let api: KubeApi
    let work: string
    let kubeconfig: string
    before(async () => {
      work = await mkdtemp(join(tmpdir(), 'meshvm-wec-'))
      // a token goes over TLS only (kubectl sends none over plain http)
      const pki = await createLabPki(join(work, 'pki'))
      const cert = await issueServingCert(pki, { ips: ['127.0.0.1'] })
      const tls = { cert: cert.certPem, key: cert.keyPem, ca: pki.caCertPem }
      api = await startKubeApi({ manifests: [readCaseFile(dir, 'fake-cluster.yaml')], bearerToken: 'admin-token', tls })
      kubeconfig = await writeKubeconfig(api, join(work, 'kubeconfig'), { token: 'admin-token' })
    })
    after(async () => {
      await api.close()
      await rm(work, { recursive: true, force: true })
    })

    test('with --clusterID the five files match the goldens', async () => {
      const out = join(work, 'out')
      const wg = new URL(
        `../../../test/fixtures/conformance/istioctl-workload-entry-configure/${dir}/workloadgroup.yaml`,
        import.meta.url,
      ).pathname
      const args = [
        'workload-entry',
        'configure',
        '-f',
        wg,
        ...c.args,
        '--clusterID',
        'Kubernetes',
        '-o',
        out,
        '--kubeconfig',
        kubeconfig,
      ]
      const r = await runCli(args)
      assert.equal(r.code, 0, r.stderr)
      for (const name of FILES) {
        const want = readCaseFile(dir, `${name}.golden`)
        const got = await readFile(join(out, name), 'utf8')
        if (c.trimmed) assert.equal(got.trim(), want.trim(), name)
        else assert.equal(got, want, name)
      }
      // The emulator issues real signed tokens; the file holds exactly the one it minted, for the right subject.
      const token = await readFile(join(out, 'istio-token'), 'utf8')
      const checked = api.issuer.check(token, ['istio-ca'])
      assert.ok('claims' in checked, 'istio-token is a valid istio-ca token')
      assert.equal(checked.claims.sub, 'system:serviceaccount:bar:vm-serviceaccount')
      assert.deepEqual((await readdir(out)).sort(), [
        'cluster.env',
        'hosts',
        'istio-token',
        'mesh.yaml',
        'root-cert.pem',
      ])
      assert.equal((await stat(join(out, 'istio-token'))).mode & 0o777, 0o600)
      assert.equal((await stat(join(out, 'mesh.yaml'))).mode & 0o777, 0o644)
      assert.equal((await stat(out)).mode & 0o777, 0o700)
      assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token), 'the token is never printed')
      assert.match(r.stdout, /onfiguration generation into directory .* was successful\n/)
      assert.ok(r.stderr.includes(`has been generated and stored at "${join(out, 'istio-token')}"`))
      if (c.warning) assert.ok(r.stderr.includes(c.warning), r.stderr)
      const mint = api.requests.filter(
        (q) => q.method === 'POST' && q.path.endsWith('/serviceaccounts/vm-serviceaccount/token'),
      )
      assert.equal(mint.length, 1)
    })

    if (dir === 'vmconfig-ipv4') {
      test("istioctl's own spellings: x workload entry configure, experimental workload entry configure", async () => {
        const wg = new URL(
          `../../../test/fixtures/conformance/istioctl-workload-entry-configure/${dir}/workloadgroup.yaml`,
          import.meta.url,
        ).pathname
        for (const spelling of [['x'], ['experimental']]) {
          const out = join(work, `out-${spelling[0]}`)
          const args = ['-f', wg, ...c.args, '--clusterID', 'Kubernetes', '-o', out, '--kubeconfig', kubeconfig]
          const r = await runCli([...spelling, 'workload', 'entry', 'configure', ...args])
          assert.equal(r.code, 0, `${spelling[0]}: ${r.stderr}`)
          assert.match(r.stdout, /onfiguration generation into directory .* was successful\n/)
          for (const name of FILES)
            assert.equal(await readFile(join(out, name), 'utf8'), readCaseFile(dir, `${name}.golden`), name)
        }
      })
    }

    if (dir !== 'legacy-1.10.0-vmconfig-simple') {
      test('without --clusterID it fails as istioctl does and writes nothing', async () => {
        const out = join(work, 'out')
        const before = await readFile(join(out, 'cluster.env'), 'utf8')
        const wg = new URL(
          `../../../test/fixtures/conformance/istioctl-workload-entry-configure/${dir}/workloadgroup.yaml`,
          import.meta.url,
        ).pathname
        const r = await runCli([
          'workload-entry',
          'configure',
          '-f',
          wg,
          ...c.args,
          '-o',
          out,
          '--kubeconfig',
          kubeconfig,
        ])
        assert.equal(r.code, 1)
        assert.match(r.stderr, /^Error: failed to automatically determine the --clusterID: fetch injection template: /)
        assert.equal(await readFile(join(out, 'cluster.env'), 'utf8'), before)
      })
    }
  })
}

describe('workload-entry configure: argument errors as istioctl', () => {
  test('no file and no name', async () => {
    const r = await runCli(['workload-entry', 'configure', '-o', '/tmp/x'])
    assert.equal(r.code, 5)
    assert.equal(
      r.stderr,
      'Error: expecting a WorkloadGroup artifact file or the name and namespace of an existing WorkloadGroup\n',
    )
  })
  test('no output', async () => {
    const r = await runCli(['workload-entry', 'configure', '-f', 'wg.yaml'])
    assert.equal(r.stderr, 'Error: expecting an output directory\n')
  })
  test('internal and external IP together', async () => {
    const r = await runCli([
      'workload-entry',
      'configure',
      '-f',
      'wg.yaml',
      '-o',
      'x',
      '--internalIP',
      '1.1.1.1',
      '--externalIP',
      '2.2.2.2',
    ])
    assert.equal(r.stderr, 'Error: the flags --internalIP and --externalIP are mutually exclusive\n')
  })
})
