import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, test } from 'node:test'
import { ExitError, InputError } from '../../src/errors.js'
import { parseInventory } from '../../src/inventory/read.js'
import { inventoryFromVagrantDir } from '../../src/inventory/vagrant-run.js'
import { inventoryFromVagrant, parseVagrantSshConfig, pickPrivateIp } from '../../src/inventory/vagrant.js'

const fixtures = new URL('../../../test/fixtures/vagrant/', import.meta.url)
const fixture = (name: string) => readFileSync(new URL(name, fixtures), 'utf8')
const dir = mkdtempSync(join(tmpdir(), 'meshvm-vagrant-'))
after(() => rmSync(dir, { recursive: true, force: true }))

test('vagrant ssh-config: a multi-machine VirtualBox fleet', () => {
  assert.deepEqual(parseVagrantSshConfig(fixture('ssh-config-virtualbox.txt')), [
    {
      name: 'web1',
      hostName: '127.0.0.1',
      port: 2222,
      user: 'vagrant',
      identityFile: '/home/u/proj/.vagrant/machines/web1/virtualbox/private_key',
    },
    {
      name: 'web2',
      hostName: '127.0.0.1',
      port: 2200,
      user: 'vagrant',
      identityFile: '/home/u/proj/.vagrant/machines/web2/virtualbox/private_key',
    },
  ])
})

test('vagrant ssh-config: Host default with the insecure key', () => {
  assert.deepEqual(parseVagrantSshConfig(fixture('ssh-config-default-insecure.txt')), [
    {
      name: 'default',
      hostName: '127.0.0.1',
      port: 2222,
      user: 'vagrant',
      identityFile: '/home/u/.vagrant.d/insecure_private_key',
    },
  ])
})

test('vagrant ssh-config: libvirt, with a quoted key path containing a space', () => {
  const [web1, web2] = parseVagrantSshConfig(fixture('ssh-config-libvirt-spaces.txt'))
  assert.deepEqual(web1, {
    name: 'web1',
    hostName: '192.168.121.45',
    port: 22,
    user: 'vagrant',
    identityFile: '/home/a b/proj/.vagrant/machines/web1/libvirt/private_key',
  })
  assert.equal(web2.identityFile, '/home/a b/proj/.vagrant/machines/web2/libvirt/private_key')
})

test('the private-network address is picked out of hostname -I', () => {
  assert.equal(pickPrivateIp('10.0.2.15 192.168.56.11 fd17:625c:f037:2::1 \n', '127.0.0.1'), '192.168.56.11')
  assert.equal(pickPrivateIp('192.168.121.45 192.168.56.12\r\n', '192.168.121.45'), '192.168.56.12')
  assert.equal(pickPrivateIp('10.0.2.15 172.17.0.1 10.20.0.5', '127.0.0.1'), '172.17.0.1', 'else the first other one')
  assert.equal(pickPrivateIp('10.0.2.15 172.17.0.1 192.168.57.3', '127.0.0.1'), '192.168.57.3')
  assert.equal(pickPrivateIp('10.0.2.15\n', '127.0.0.1'), undefined)
})

test('the written inventory reads back as the Vagrant machines', () => {
  const yaml = inventoryFromVagrant(
    fixture('ssh-config-libvirt-spaces.txt'),
    { web1: '192.168.56.11', web2: '192.168.56.12' },
    { app: 'web', namespace: 'vms', ingressIP: '192.168.56.1' },
  )
  const [web1, web2] = parseInventory(yaml, 'vagrant.yaml').vms
  assert.deepEqual(web1.ssh, {
    host: '192.168.121.45',
    port: 22,
    user: 'vagrant',
    identityFile: '/home/a b/proj/.vagrant/machines/web1/libvirt/private_key',
    proxyJump: undefined,
    defaulted: [],
  })
  assert.equal(web1.internalIP, '192.168.56.11')
  assert.equal(web2.internalIP, '192.168.56.12')
  assert.equal(web2.ingressIP, '192.168.56.1')
  assert.deepEqual(web2.become, { method: 'sudo' })
})

test('a machine without a known private address gets no loopback internalIP', () => {
  const [web1] = parseInventory(
    inventoryFromVagrant(fixture('ssh-config-virtualbox.txt'), {}, { app: 'web', namespace: 'vms' }),
    'v.yaml',
  ).vms
  assert.equal(web1.ssh.port, 2222)
  assert.equal(web1.internalIP, undefined)
})

/** A stand-in `vagrant` that answers from the fixtures, as the real one would in a project directory. */
function fakeVagrant(script: string): string {
  const path = join(dir, `vagrant-${Math.random().toString(36).slice(2)}`)
  writeFileSync(path, `#!/bin/sh\n${script}\n`)
  chmodSync(path, 0o755)
  return path
}

test('inventoryFromVagrantDir runs vagrant ssh-config and asks each machine its address', async () => {
  const sshConfig = fileURLToPath(new URL('ssh-config-virtualbox.txt', fixtures))
  const vagrant = fakeVagrant(`case "$1 $2 $3 $4" in
  "ssh-config   ") cat '${sshConfig}' ;;
  "ssh web1 -c hostname -I") echo "10.0.2.15 192.168.56.11 " ;;
  "ssh web2 -c hostname -I") echo "10.0.2.15 192.168.56.12 " ;;
  *) echo "unexpected: $*" >&2; exit 3 ;;
esac`)
  const yaml = await inventoryFromVagrantDir(dir, { app: 'web', namespace: 'vms' }, { vagrant })
  const vms = parseInventory(yaml, 'v.yaml').vms
  assert.deepEqual(
    vms.map((vm) => [vm.name, vm.ssh.host, vm.ssh.port, vm.internalIP]),
    [
      ['web1', '127.0.0.1', 2222, '192.168.56.11'],
      ['web2', '127.0.0.1', 2200, '192.168.56.12'],
    ],
  )
})

test('vagrant missing, failing, or pointed at no directory: clear errors', async () => {
  await assert.rejects(inventoryFromVagrantDir(dir, {}, { vagrant: join(dir, 'no-such-vagrant') }), (err: unknown) => {
    assert.ok(err instanceof InputError)
    assert.match(err.message, /no-such-vagrant not found: install Vagrant/)
    return true
  })
  const notReady = 'The provider for this Vagrant-managed machine is reporting that it is not yet ready for SSH.'
  const failing = fakeVagrant(`echo "${notReady}" >&2; exit 1`)
  await assert.rejects(inventoryFromVagrantDir(dir, {}, { vagrant: failing }), (err: unknown) => {
    assert.ok(err instanceof ExitError && !(err instanceof InputError))
    assert.equal(err.message, `vagrant ssh-config in ${dir} failed (are the machines up?): ${notReady}`)
    return true
  })
  await assert.rejects(inventoryFromVagrantDir(join(dir, 'absent'), {}), {
    name: 'InputError',
    message: `${join(dir, 'absent')}: no such directory`,
  })
})
