import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { stringify } from 'yaml'
import { ClusterError, listContexts, loadKubeConfig } from '../../src/cluster/index.js'

// A kubeconfig whose contexts each point at a cluster named after the file, so tests can see which file won.
function config(file: string, contexts: string[], current?: string, server = `https://${file}.example:6443`): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: `c-${file}`, cluster: { server } }],
    users: [{ name: `u-${file}`, user: { token: `t-${file}` } }],
    contexts: contexts.map((name) => ({ name, context: { cluster: `c-${file}`, user: `u-${file}` } })),
    ...(current ? { 'current-context': current } : {}),
  })
}

describe('kubeconfig loading as kubectl does', () => {
  let dir: string
  let home: string
  const file = (name: string) => join(dir, name)
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'meshvm-kubeconfig-'))
    home = join(dir, 'home')
    mkdirSync(join(home, '.kube'), { recursive: true })
    writeFileSync(join(home, '.kube', 'config'), config('home', ['home-ctx'], 'home-ctx'))
    writeFileSync(file('a'), config('a', ['shared', 'only-a'], 'only-a'))
    writeFileSync(file('b'), config('b', ['shared', 'only-b'], 'only-b'))
    writeFileSync(file('explicit'), config('explicit', ['x'], 'x'))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  const server = (kc: ReturnType<typeof loadKubeConfig>) => kc.getCurrentCluster()!.server

  it('prefers --kubeconfig over KUBECONFIG over ~/.kube/config', () => {
    const env = { HOME: home, KUBECONFIG: file('a') }
    assert.equal(server(loadKubeConfig({ kubeconfig: file('explicit'), env })), 'https://explicit.example:6443')
    assert.equal(server(loadKubeConfig({ env })), 'https://a.example:6443')
    assert.equal(server(loadKubeConfig({ env: { HOME: home } })), 'https://home.example:6443')
  })

  it('merges a KUBECONFIG list with the first file winning, skipping missing files', () => {
    const env = { HOME: home, KUBECONFIG: [file('missing'), file('b'), file('a')].join(':') }
    const kc = loadKubeConfig({ env })
    assert.equal(kc.getCurrentContext(), 'only-b')
    assert.deepEqual(
      listContexts({ env })
        .map((c) => c.name)
        .sort(),
      ['only-a', 'only-b', 'shared'],
    )
    assert.equal(server(loadKubeConfig({ env, context: 'shared' })), 'https://b.example:6443')
    assert.equal(server(loadKubeConfig({ env, context: 'only-a' })), 'https://a.example:6443')
  })

  it('names the available contexts when --context is unknown', () => {
    assert.throws(
      () => loadKubeConfig({ env: { HOME: home, KUBECONFIG: `${file('a')}:${file('b')}` }, context: 'prod' }),
      (e: unknown) =>
        e instanceof ClusterError &&
        e.message ===
          'context "prod" (--context) not found in the kubeconfig; available contexts: shared, only-a, only-b',
    )
  })

  it('lists contexts and marks the current one', () => {
    const contexts = listContexts({ env: { HOME: home, KUBECONFIG: file('a') } })
    assert.deepEqual(contexts, [
      { name: 'shared', cluster: 'c-a', namespace: undefined, current: false },
      { name: 'only-a', cluster: 'c-a', namespace: undefined, current: true },
    ])
  })

  it('fails clearly when there is no configuration, and for a missing --kubeconfig file', () => {
    const empty = join(dir, 'empty-home')
    mkdirSync(empty, { recursive: true })
    assert.throws(
      () => loadKubeConfig({ env: { HOME: empty } }),
      /no Kubernetes configuration found: pass --kubeconfig, set KUBECONFIG/,
    )
    assert.throws(() => loadKubeConfig({ kubeconfig: file('nope'), env: {} }), /kubeconfig file .*nope does not exist/)
    writeFileSync(file('no-current'), config('nc', ['one']))
    assert.throws(
      () => loadKubeConfig({ kubeconfig: file('no-current'), env: {} }),
      /no current-context; pass --context \(available contexts: one\)/,
    )
  })

  it('uses the in-cluster service account when KUBERNETES_SERVICE_HOST is set and no kubeconfig exists', () => {
    const root = join(dir, 'pod')
    const sa = join(root, 'var/run/secrets/kubernetes.io/serviceaccount')
    mkdirSync(sa, { recursive: true })
    writeFileSync(join(sa, 'token'), 'pod-token')
    writeFileSync(join(sa, 'ca.crt'), 'ca')
    const env = { HOME: join(dir, 'empty-home'), KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }
    const kc = loadKubeConfig({ env, inClusterRoot: root })
    assert.equal(kc.getCurrentCluster()!.server, 'https://10.96.0.1:443')
    assert.equal(process.env.KUBERNETES_SERVICE_HOST, undefined, 'process environment restored')
  })
})
