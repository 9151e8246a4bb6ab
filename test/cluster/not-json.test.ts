// Something that is not an API server answers (a proxy's login page, a cut body): a clear error, exit 1, no stack.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { runCli } from '../support/run-cli.js'

const answers: Record<string, [number, string, string]> = {
  'an HTML page with 200': [200, 'text/html', '<html><body>Proxy login</body></html>'],
  'an empty JSON body': [200, 'application/json', ''],
  'a cut JSON body': [200, 'application/json', '{"kind":"Namespace","metadata":'],
}

for (const [what, [status, type, body]] of Object.entries(answers)) {
  test(`the API server answering ${what} gives a clear error naming the call, and no stack trace`, async () => {
    const server = createServer((_req, res) => res.writeHead(status, { 'content-type': type }).end(body))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const dir = mkdtempSync(join(tmpdir(), 'meshvm-notjson-'))
    try {
      const { port } = server.address() as { port: number }
      const url = `http://127.0.0.1:${port}`
      const kubeconfig = join(dir, 'kubeconfig')
      writeFileSync(
        kubeconfig,
        `apiVersion: v1\nkind: Config\ncurrent-context: x\nclusters: [{name: c, cluster: {server: "${url}", insecure-skip-tls-verify: true}}]\n` +
          'users: [{name: u, user: {token: t0ken-value}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n',
      )
      writeFileSync(
        join(dir, 'inv.yaml'),
        'defaults: { app: a, namespace: n, ingressIP: 192.0.2.1 }\nvms:\n  vm1: { address: 192.0.2.9 }\n',
      )
      const r = await runCli([
        'bundle',
        '-i',
        join(dir, 'inv.yaml'),
        '--kubeconfig',
        kubeconfig,
        '-o',
        join(dir, 'out'),
      ])
      assert.equal(r.code, 1)
      assert.match(
        r.stderr,
        new RegExp(
          `^Error: ${url} answered get namespaces "n" with something that is not a Kubernetes API answer \\(.+\\); is the kubeconfig's server address right, and no proxy or login page in between\\?\\n$`,
        ),
      )
      assert.doesNotMatch(r.stderr, /TypeError|\n {4}at /)
    } finally {
      server.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
}
