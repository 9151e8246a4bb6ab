// An ssh_config that ssh refuses stops a fleet command before any VM or the cluster is contacted (exit 5).
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { writeKubeconfig } from '../../src/lab/kube-api/kubeconfig-file.js'
import { startKubeApi } from '../../src/lab/kube-api/server.js'
import { runCli } from '../support/run-cli.js'

test('a bad Port or a misspelt keyword in ssh_config is refused up front, naming file and line', async () => {
  const api = await startKubeApi()
  const dir = mkdtempSync(join(tmpdir(), 'meshvm-ssh-preflight-'))
  try {
    const kubeconfig = await writeKubeconfig(api, join(dir, 'kubeconfig'))
    const inventory = join(dir, 'inventory.yaml')
    writeFileSync(inventory, 'defaults: { app: web, namespace: web }\nvms:\n  vm-1: { address: 127.0.0.1 }\n')
    const cases = [
      ['bad-port', 'Host other\n  Port 70000\n', /bad-port line 2: Bad port '70000'/],
      [
        'typo',
        'Host *\n  IdentityFle ~/.ssh/key\n',
        /typo: line 2: Bad configuration option: identityfle|typo line 2: Bad configuration option: identityfle/,
      ],
    ] as const
    for (const resolver of ['ssh', 'builtin']) {
      process.env.MESHVM_SSH_RESOLVER = resolver
      for (const [name, text, message] of cases) {
        const config = join(dir, name)
        writeFileSync(config, text)
        const before = api.requests.length
        const r = await runCli(
          ['verify', '-i', inventory, '--ssh-config', config, '--kubeconfig', kubeconfig, '--yes'],
          {},
          dir,
        )
        assert.equal(r.code, 5, `${resolver} ${name}: ${r.stderr}`)
        assert.match(r.stderr, message)
        assert.equal(api.requests.length, before, 'the cluster was contacted')
      }
    }
  } finally {
    delete process.env.MESHVM_SSH_RESOLVER
    await api.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
