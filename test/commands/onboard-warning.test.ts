// Before a run, onboard says which VMs will get no hosts line for istiod (nothing found to reach it through).
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { writeKubeconfig } from '../../src/lab/kube-api/kubeconfig-file.js'
import { startLabClusterApi } from '../support/lab-api.js'
import { runCli } from '../support/run-cli.js'

const closedPort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })

test('onboard warns about VMs with no address for istiod, then reports an unreachable VM as such', async () => {
  const api = await startLabClusterApi('', 'apps')
  const dir = mkdtempSync(join(tmpdir(), 'meshvm-warn-'))
  try {
    const kubeconfig = await writeKubeconfig(api, join(dir, 'kubeconfig'))
    const inventory = join(dir, 'inventory.yaml')
    const port = await closedPort()
    writeFileSync(
      inventory,
      `defaults: { app: web, namespace: apps, user: root, package: { file: ${inventory} } }\nvms:\n  vm-a: { address: 127.0.0.1, port: ${port} }\n`,
    )
    const r = await runCli(['onboard', '-i', inventory, '--kubeconfig', kubeconfig, '--output', 'plain'], {}, dir)
    assert.match(r.stderr, /warning: no address for istiod found for vm-a/)
    assert.equal(r.code, 4, r.stdout + r.stderr)
    assert.match(r.stdout, /vm-a unreachable/)
  } finally {
    await api.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
