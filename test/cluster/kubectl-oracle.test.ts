import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { stringify } from 'yaml'
import { connectCluster, readClusterFacts } from '../../src/cluster/index.js'
import { createLabPki, issueServingCert } from '../../src/lab/pki.js'

// kubectl is the oracle: each kubeconfig case is used by `kubectl get --raw` and by meshvm's client against the same
// recording API server; the credentials and impersonation each sends, or that each refuses, must be the same.
const run = promisify(execFile)
const kubectlMissing: string | false =
  spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0
    ? false
    : 'kubectl is not installed (Debian 12: apt-get install kubernetes-client; Debian 13 ships none)'

/** kubectl's minor version (Debian 12's kubernetes-client is 1.20). */
const minor = kubectlMissing
  ? 0
  : Number(
      JSON.parse(
        spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' }).stdout,
      ).clientVersion.minor.replace(/\D.*/, ''),
    )

interface Seen {
  port: number
  authorization?: string
  user?: string
  groups: string[]
  uid?: string
}

const PROBE = '/api/v1/namespaces/default/configmaps/probe'

describe('kubeconfig read as kubectl reads it', { skip: kubectlMissing }, () => {
  let dir: string
  let seen: Seen[] = []
  const servers: Server[] = []
  let http = ''
  let https = ''

  const record = (port: () => number) => (req: IncomingMessage, res: ServerResponse) => {
    const all = (name: string) => req.headersDistinct[name.toLowerCase()] ?? []
    seen.push({
      port: port(),
      authorization: req.headers.authorization,
      user: req.headers['impersonate-user'] as string | undefined,
      groups: all('Impersonate-Group'),
      uid: req.headers['impersonate-uid'] as string | undefined,
    })
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'probe', namespace: 'default' } }))
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshvm-kubectl-'))
    const pki = await createLabPki(join(dir, 'pki'))
    const cert = await issueServingCert(pki, { ips: ['127.0.0.1'] })
    writeFileSync(join(dir, 'ca.crt'), pki.caCertPem)
    const port = (s: Server) => (s.address() as AddressInfo).port
    const plain: Server = createHttpServer()
    const tls: Server = createHttpsServer({ cert: cert.certPem, key: cert.keyPem })
    plain.on(
      'request',
      record(() => port(plain)),
    )
    tls.on(
      'request',
      record(() => port(tls)),
    )
    for (const s of [plain, tls]) await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok))
    servers.push(plain, tls)
    http = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`
    https = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`
    // an exec plugin that answers with what it was told in KUBERNETES_EXEC_INFO, so the token shows it
    mkdirSync(join(dir, 'conf', 'bin'), { recursive: true })
    const plugin = join(dir, 'conf', 'bin', 'cred')
    writeFileSync(
      plugin,
      `#!${process.execPath}\nconst i = JSON.parse(process.env.KUBERNETES_EXEC_INFO || '{}'); const c = (i.spec || {}).cluster\n` +
        `const token = ['exec', i.apiVersion, (i.spec || {}).interactive, c ? c.server : 'no-cluster', c && c['certificate-authority-data'] ? 'ca' : 'no-ca', JSON.stringify(c ? c.config : null), process.env.EXTRA].join('|')\n` +
        `console.log(JSON.stringify({ apiVersion: i.apiVersion, kind: 'ExecCredential', status: { token } }))\n`,
    )
    chmodSync(plugin, 0o755)
  })
  after(() => {
    // keep-alive connections (meshvm's client keeps one) would hold the test process open
    servers.forEach((s) => (s.closeAllConnections(), s.close()))
    rmSync(dir, { recursive: true, force: true })
  })

  /** Writes kubeconfig files under dir/conf (relative paths start there). */
  const write = (name: string, config: unknown) => {
    const file = join(dir, 'conf', name)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, typeof config === 'string' ? config : stringify(config))
    return file
  }

  const config = (
    cluster: Record<string, unknown>,
    user: Record<string, unknown> | undefined,
    extra: Record<string, unknown> = {},
  ) => ({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster }],
    users: user ? [{ name: 'u', user }] : [],
    contexts: [{ name: 'x', context: { cluster: 'c', ...(user ? { user: 'u' } : {}) } }],
    'current-context': 'x',
    ...extra,
  })

  /** What kubectl and meshvm each send for these files (or the fact that they refuse). */
  async function both(
    files: string[],
    context?: string,
  ): Promise<{ kubectl: Seen | 'refused'; meshvm: Seen | 'refused' }> {
    const env = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: files.join(':') }
    const cwd = tmpdir() // relative paths must resolve against the kubeconfig, not where the tool runs
    seen = []
    const args = ['get', '--raw', PROBE, '--request-timeout', '10s', ...(context ? ['--context', context] : [])]
    // stdin at its end, as in CI: kubectl asks for a user name on a terminal only
    const call = run('kubectl', args, { env, cwd })
    call.child.stdin?.end()
    const kubectl = await call.then(
      () => seen[0] ?? 'refused',
      () => 'refused' as const,
    )
    seen = []
    let meshvm: Seen | 'refused'
    try {
      const client = connectCluster({ env, context, retry: { attempts: 1 } })
      await client.call({ verb: 'get', resource: 'configmaps', namespace: 'default', name: 'probe' }, () =>
        client.core.readNamespacedConfigMap({ namespace: 'default', name: 'probe' }),
      )
      meshvm = seen[0] ?? 'refused'
    } catch {
      meshvm = 'refused'
    }
    return { kubectl, meshvm }
  }

  const agree = async (files: string[], expected: Partial<Seen> | 'refused', context?: string) => {
    const { kubectl, meshvm } = await both(files, context)
    assert.deepEqual(meshvm, kubectl, 'meshvm sends what kubectl sends')
    if (expected === 'refused') assert.equal(kubectl, 'refused')
    else
      for (const [k, v] of Object.entries(expected))
        assert.deepEqual((kubectl as unknown as Record<string, unknown>)[k], v, k)
  }

  it('a kubectl proxy address: plain http, no user, no credentials', async () => {
    await agree([write('proxy.yaml', config({ server: http }, undefined))], { authorization: undefined })
  })

  it('no credentials over plain http, even when the user has a token', async () => {
    await agree(
      [write('http-token.yaml', config({ server: http, 'insecure-skip-tls-verify': true }, { token: 'never-sent' }))],
      {
        authorization: undefined,
      },
    )
  })

  it('tokenFile and certificate-authority relative to the kubeconfig; tokenFile wins over token', async () => {
    writeFileSync(join(dir, 'conf', 'token'), 'from-token-file\n')
    await agree(
      [
        write(
          'token-file.yaml',
          config({ server: https, 'certificate-authority': '../ca.crt' }, { tokenFile: 'token' }),
        ),
      ],
      {
        authorization: 'Bearer from-token-file',
      },
    )
    const both = config(
      { server: https, 'certificate-authority': '../ca.crt' },
      { token: 'inline', tokenFile: 'token' },
    )
    await agree([write('token-both.yaml', both)], { authorization: 'Bearer from-token-file' })
  })

  it('half-written entries the current context does not use are ignored, as is an empty file in KUBECONFIG', async () => {
    const file = write('half.yaml', {
      ...config({ server: https, 'certificate-authority': '../ca.crt' }, { token: 't' }),
      clusters: [
        { name: 'c', cluster: { server: https, 'certificate-authority': '../ca.crt' } },
        { name: 'no-server', cluster: {} },
      ],
      users: [
        { name: 'u', user: { token: 't' } },
        { name: 'empty', user: {} },
      ],
      contexts: [
        { name: 'x', context: { cluster: 'c', user: 'u' } },
        { name: 'dev', context: { namespace: 'dev' } }, // what `kubectl config set-context dev --namespace=dev` leaves
        { name: 'ghost', context: { cluster: 'c', user: 'nobody' } },
      ],
    })
    const empty = write('empty.yaml', '')
    await agree([empty, file], { authorization: 'Bearer t' })
    // over TLS with no credentials kubectl asks for a user name on a terminal, and fails without one
    await agree([file], 'refused', 'ghost')
  })

  it('the KUBECONFIG list merges first-wins, current-context from the first file that sets one', async () => {
    const first = write('first.yaml', {
      ...config({ server: http }, undefined),
      'current-context': undefined,
      contexts: [],
    })
    const second = write(
      'second.yaml',
      config({ server: https, 'certificate-authority': '../ca.crt' }, { token: 'second' }),
    )
    const { kubectl } = await both([first, second])
    assert.notEqual(kubectl, 'refused')
    await agree([first, second], { port: Number(new URL(http).port), authorization: undefined })
  })

  it('an exec plugin named relative to the kubeconfig, with KUBERNETES_EXEC_INFO and provideClusterInfo', async () => {
    const exec = {
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      command: './bin/cred',
      env: [{ name: 'EXTRA', value: 'e1' }],
    }
    const cluster = {
      server: https,
      'certificate-authority': '../ca.crt',
      extensions: [{ name: 'client.authentication.k8s.io/exec', extension: { audience: 'mesh' } }],
    }
    await agree([write('exec-info.yaml', config(cluster, { exec: { ...exec, provideClusterInfo: true } }))], {})
    const { kubectl } = await both([write('exec-plain.yaml', config(cluster, { exec }))])
    assert.match(
      (kubectl as Seen).authorization ?? '',
      /^Bearer exec\|client\.authentication\.k8s\.io\/v1beta1\|false\|no-cluster\|no-ca\|null\|e1$/,
    )
    await agree([join(dir, 'conf', 'exec-plain.yaml')], {})
  })

  it('impersonation: as, as-groups (one header each), as-uid (kubectl 1.23 and later)', async () => {
    const user = {
      token: 'admin',
      as: 'alice',
      'as-groups': ['devs', 'system:authenticated'],
      ...(minor >= 23 ? { 'as-uid': 'u-1' } : {}),
    }
    await agree([write('as.yaml', config({ server: https, 'certificate-authority': '../ca.crt' }, user))], {
      user: 'alice',
      groups: ['devs', 'system:authenticated'],
      uid: minor >= 23 ? 'u-1' : undefined,
    })
  })

  it('refuses what kubectl refuses: the current cluster without a server, a missing tokenFile, TLS without credentials', async () => {
    await agree([write('no-server.yaml', config({}, undefined))], 'refused')
    await agree(
      [
        write(
          'no-token-file.yaml',
          config({ server: https, 'certificate-authority': '../ca.crt' }, { tokenFile: 'missing' }),
        ),
      ],
      'refused',
    )
  })

  it('an unreachable API server is reported as such, not as a missing configmap', async () => {
    const closed = createHttpServer()
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok))
    const server = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`
    await new Promise((ok) => closed.close(ok))
    const client = connectCluster({
      kubeconfig: write('gone.yaml', config({ server }, undefined)),
      retry: { attempts: 1 },
    })
    for (const wording of ['istioctl', 'meshvm'] as const) {
      const o = {
        istioNamespace: 'istio-system',
        ingressService: 'istio-eastwestgateway',
        revision: 'canary',
        clusterId: 'c1',
        wording,
      }
      await assert.rejects(readClusterFacts(client, { name: 'wg', namespace: 'ns' }, o), (e: Error) => {
        assert.match(
          e.message,
          new RegExp(`^cannot reach the Kubernetes API server ${server} to get .* \\(1 attempts\\): ECONNREFUSED$`),
        )
        assert.doesNotMatch(e.message, /not found/)
        return true
      })
    }
  })
})
