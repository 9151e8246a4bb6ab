// The CLI's front door: help with an example per command, exit codes for usage and input errors, nothing contacted.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { writeKubeconfig } from '../../src/lab/kube-api/kubeconfig-file.js'
import { startKubeApi } from '../../src/lab/kube-api/server.js'
import { startLabClusterApi } from '../support/lab-api.js'
import { runCli } from '../support/run-cli.js'

const COMMANDS = [
  'onboard',
  'verify',
  'offboard',
  'run',
  'bundle',
  'workload-entry',
  'report',
  'lab',
  'inventory',
  'demo',
]

test('--help lists every command with an example, and each command has its own help with examples', async () => {
  const r = await runCli(['--help'])
  assert.equal(r.code, 0)
  for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`\\n  ${c} [\\s\\S]*?e\\.g\\. meshvm ${c}`))
  for (const c of COMMANDS) {
    const h = await runCli(c === 'workload-entry' ? [c, 'configure', '--help'] : [c, '--help'])
    assert.equal(h.code, 0, c)
    assert.match(h.stdout, /Examples:\n {2}meshvm /, c)
  }
})

test('usage mistakes exit 5', async () => {
  assert.equal((await runCli(['frobnicate'])).code, 5)
  const flag = await runCli(['onboard', '--frobnicate'])
  assert.equal(flag.code, 5)
  assert.match(flag.stderr, /unknown flag --frobnicate/)
  assert.equal((await runCli(['onboard', '--forks', 'many'])).code, 5)
  const noTty = await runCli(['onboard'])
  assert.equal(noTty.code, 5)
  assert.match(noTty.stderr, /-i INVENTORY/)
})

test('bundle: the output directory is -o/--dir; --output (a format everywhere else) is refused, nothing written', async () => {
  const api = await startLabClusterApi('198.18.0.250', 'demo')
  const dir = mkdtempSync(join(tmpdir(), 'meshvm-main-'))
  try {
    const kubeconfig = await writeKubeconfig(api, join(dir, 'kubeconfig'))
    const inventory = join(dir, 'inventory.yaml')
    writeFileSync(inventory, 'defaults:\n  namespace: demo\n  app: web\nvms:\n  vm-1: { address: 127.0.0.1 }\n')
    for (const output of [['--output', 'json'], ['--output=json']]) {
      const r = await runCli(['bundle', '-i', inventory, '--kubeconfig', kubeconfig, ...output], {}, dir)
      assert.equal(r.code, 5, r.stderr)
      assert.match(r.stderr, /its output directory is -o\/--dir DIR \(--output is the fleet commands' format flag\)/)
      assert.ok(!existsSync(join(dir, 'json')), 'no ./json/ directory')
      assert.equal(api.requests.length, 0, 'nothing contacted')
    }
    for (const flag of ['-o', '--dir']) {
      const out = join(dir, `out${flag}`)
      const r = await runCli(['bundle', '-i', inventory, '--kubeconfig', kubeconfig, flag, out], {}, dir)
      assert.equal(r.code, 0, r.stderr)
      assert.ok(existsSync(join(out, 'vm-1', 'cluster.env')), `${flag}: ${out}/vm-1/cluster.env`)
    }
  } finally {
    await api.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a bad inventory exits 5 naming file, line and field, and contacts neither the cluster nor any VM', async () => {
  const api = await startKubeApi()
  const dir = mkdtempSync(join(tmpdir(), 'meshvm-main-'))
  try {
    const kubeconfig = await writeKubeconfig(api, join(dir, 'kubeconfig'))
    const inventory = join(dir, 'inventory.yaml')
    writeFileSync(
      inventory,
      'defaults:\n  namespace: demo\n  app: web\nvms:\n  vm-1: { address: 127.0.0.1, port: 70000 }\n',
    )
    for (const command of ['onboard', 'verify', 'offboard', 'bundle']) {
      const before = api.requests.length
      const extra = command === 'bundle' ? ['-o', join(dir, 'out')] : ['--yes']
      const r = await runCli([command, '-i', inventory, '--kubeconfig', kubeconfig, ...extra], {}, dir)
      assert.equal(r.code, 5, `${command}: ${r.stderr}`)
      assert.match(r.stderr, /inventory\.yaml:5:\d+: vms\.vm-1\.port: 70000 is out of range 1-65535/)
      assert.equal(api.requests.length, before, `${command} contacted the cluster`)
    }
  } finally {
    await api.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
