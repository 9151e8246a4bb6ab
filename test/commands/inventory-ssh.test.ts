// `meshvm inventory show --ssh`: the SSH target of each VM as meshvm will connect, resolved as ssh -G resolves it.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parse } from 'yaml'
import type { HopView } from '../../src/ssh/describe.js'
import { keygen } from '../support/sshd.js'
import { runCli } from '../support/run-cli.js'

interface Shown {
  vms: { name: string; hops: HopView[] }[]
}

test('the documented example: meshvm inventory show -i inventory/example.yaml --ssh', async () => {
  const r = await runCli(['inventory', 'show', '-i', 'inventory/example.yaml', '--ssh'])
  assert.equal(r.code, 0, r.stderr)
  const shown = parse(r.stdout) as Shown
  const vm2 = shown.vms.find((v) => v.name === 'nginx-vm-2')!
  assert.equal(vm2.hops.at(-1)!.connect.endsWith('@10.0.0.12:2222'), true)
  assert.ok(vm2.hops.length >= 2, 'nginx-vm-2 is behind the bastion')
})

test('per VM: hops, user, port, keys in offer order, known_hosts files and host key name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshvm-show-ssh-'))
  try {
    const key = join(dir, 'fleet_key')
    keygen(key)
    const config = join(dir, 'ssh_config')
    writeFileSync(
      config,
      [
        'Host edge',
        '  HostName edge.example.com',
        '  User jump',
        '  ProxyCommand nc -X connect -x proxy.example.com:3128 %h %p',
        'Host app-*',
        '  ProxyJump inner',
        '  HostKeyAlias app-fleet',
        '  IdentitiesOnly yes',
        `  IdentityFile ${key}`,
        `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
        'Host inner',
        '  HostName 10.1.0.2',
        '  ProxyJump edge',
        '  StrictHostKeyChecking accept-new',
        '',
      ].join('\n'),
    )
    const inventory = join(dir, 'inventory.yaml')
    writeFileSync(inventory, 'defaults: { app: web, namespace: web }\nvms:\n  app-1: { user: deploy }\n')
    const r = await runCli(['inventory', 'show', '-i', inventory, '--ssh', '--ssh-config', config])
    assert.equal(r.code, 0, r.stderr)
    const [vm] = (parse(r.stdout) as Shown).vms
    assert.deepEqual(
      vm.hops.map((h) => [h.host, h.connect.replace(/^[^@]+@/, ''), h.via]),
      [
        ['edge', 'edge.example.com:22', 'ProxyCommand nc -X connect -x proxy.example.com:3128 edge.example.com 22'],
        ['inner', '10.1.0.2:22', 'the hop above'],
        ['app-1', 'app-1:22', 'the hop above'],
      ],
    )
    const app = vm.hops[2]
    assert.equal(app.connect, 'deploy@app-1:22')
    assert.deepEqual(app.offers, [`key ${key}`])
    assert.equal(app.identitiesOnly, true)
    assert.equal(app.hostKeyName, 'app-fleet')
    assert.equal(app.knownHostsFiles[0], join(dir, 'known_hosts'))
    assert.equal(app.newHostKeys, 'refused')
    assert.equal(vm.hops[1].newHostKeys, 'recorded')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
