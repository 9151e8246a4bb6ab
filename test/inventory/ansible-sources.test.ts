import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { InputError } from '../../src/errors.js'
import { parseInventory, readInventory } from '../../src/inventory/read.js'
import { ansibleInventoryLists, ansibleMissing } from '../support/ansible.js'
import { runCli } from '../support/run-cli.js'

// Inventories only Ansible can read (scripts, INI, plugin configs) reach meshvm as ansible-inventory's JSON.
const sources = new URL('../../../test/fixtures/ansible-inventory/sources/', import.meta.url).pathname
const script = join(sources, 'cloud-script.py')
const ssh = (vm: { name: string; ssh: { host: string; user: string; port: number } }) =>
  `${vm.name} ${vm.ssh.user}@${vm.ssh.host}:${vm.ssh.port}`

describe('-i ansible:SOURCE and ansible-inventory --list JSON', { skip: ansibleMissing }, () => {
  it('runs ansible-inventory for a script inventory: groups, hostvars, ssh spelling wins, local hosts skipped', async () => {
    const inventory = await readInventory(`ansible:${script}`)
    assert.equal(inventory.file, `ansible:${script}`)
    assert.deepEqual(inventory.vms.map(ssh).sort(), ['ratings-a ec2-user@10.80.0.1:22', 'ratings-b admin@10.80.0.2:22'])
    const [a] = inventory.vms
    assert.equal(a.workloadGroup.name, 'ratings')
    assert.equal(a.workloadGroup.network, 'eu-west-1')
    assert.deepEqual(a.groups.sort(), ['mesh', 'region_eu_west_1', 'tag_role_ratings'])
    assert.deepEqual(a.vars, { ec2_instance_type: 't3.small' })
    assert.deepEqual(inventory.skipped, [
      { name: 'bastion', reason: 'ansible_connection: local (not reached over SSH)' },
    ])
  })

  it('reads a saved `ansible-inventory --list` file as the same fleet', async () => {
    const [list] = await ansibleInventoryLists([script])
    const dir = mkdtempSync(join(tmpdir(), 'meshvm-list-'))
    try {
      const file = join(dir, 'fleet.json')
      writeFileSync(file, JSON.stringify(list, null, 2))
      const saved = await readInventory(file)
      const live = await readInventory(`ansible:${script}`)
      assert.deepEqual(saved.vms, live.vms)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('reads an INI inventory through Ansible, and `inventory show` prints it with the skipped hosts', async () => {
    const ini = await readInventory(`ansible:${join(sources, 'hosts.ini')}`, { limit: 'web-1' })
    assert.deepEqual(ini.vms.map(ssh), ['web-1 deploy@10.90.0.1:2222'])
    const shown = await runCli(['inventory', 'show', '-i', `ansible:${script}`])
    assert.equal(shown.code, 0, shown.stderr)
    assert.match(
      shown.stdout,
      /^skipped:\n {2}- name: bastion\n {4}reason: "ansible_connection: local \(not reached over SSH\)"$/m,
    )
    assert.match(shown.stdout, /name: ratings-a/)
  })

  it('README: inventory show for the Ansible example and for an inventory plugin run by Ansible', async () => {
    const example = await runCli(['inventory', 'show', '-i', 'inventory/ansible-example.yaml'])
    assert.equal(example.code, 0, example.stderr)
    assert.match(example.stdout, /name: nginx-vm-2\n[^]*?host: 10\.0\.0\.12\n {6}port: 2222\n {6}user: admin\n/)
    const plugin = await runCli(['inventory', 'show', '-i', 'ansible:inventory/ansible-generator.yml'])
    assert.equal(plugin.code, 0, plugin.stderr)
    const names = [...plugin.stdout.matchAll(/^ {2}- name: (.*)$/gm)].map((m) => m[1])
    assert.deepEqual(names, ['ratings-stg-1', 'ratings-stg-2', 'reviews-stg-1', 'reviews-stg-2'])
    const direct = await runCli(['inventory', 'show', '-i', 'inventory/ansible-generator.yml'])
    assert.equal(direct.code, 5)
    assert.match(
      direct.stderr,
      /ansible-generator\.yml:4:9: plugin: an inventory plugin's configuration \(plugin: ansible\.builtin\.generator\): let Ansible run it with -i ansible:inventory\/ansible-generator\.yml/,
    )
  })

  it('says what failed when ansible-inventory cannot read the source, and names a bad host in its JSON', async () => {
    await assert.rejects(readInventory('ansible:/nonexistent/inventory.yml'), (err: unknown) => {
      assert.ok(err instanceof InputError)
      assert.match(err.message, /^ansible-inventory -i \/nonexistent\/inventory.yml --list failed: /)
      return true
    })
    const json = JSON.stringify(
      {
        _meta: { hostvars: { h: { meshvm_app: 'a', meshvm_namespace: 'n', ansible_port: 'x' } } },
        all: { children: ['ungrouped'] },
        ungrouped: { hosts: ['h'] },
      },
      null,
      1,
    )
    assert.throws(() => parseInventory(json, 'list.json'), {
      message: 'list.json:7:21: _meta.hostvars.h.ansible_port: expected an integer, got "x"',
    })
  })
})

describe('-i ansible: without Ansible', () => {
  it('explains what to install', async () => {
    const { ansibleInventoryList } = await import('../../src/inventory/ansible-run.js')
    await assert.rejects(
      ansibleInventoryList('x.yml', 'no-such-ansible-inventory'),
      /no-such-ansible-inventory not found: -i ansible:x\.yml needs Ansible \(Debian: apt-get install ansible\)/,
    )
  })
})
