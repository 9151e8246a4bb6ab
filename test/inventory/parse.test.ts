import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { expandHostRange } from '../../src/inventory/host-range.js'
import { parseInventory } from '../../src/inventory/read.js'
import type { Vm } from '../../src/inventory/types.js'

const root = new URL('../../../', import.meta.url)
const read = (path: string) => readFileSync(new URL(path, root), 'utf8')
const vms = (yaml: string) => parseInventory(yaml, 'inv.yaml').vms
const byName = (list: Vm[]) => Object.fromEntries(list.map((vm) => [vm.name, vm]))

test('both formats resolve equivalent inventories to the same VMs', () => {
  const meshvm = parseInventory(read('test/fixtures/inventory/good/equivalent.meshvm.yaml'), 'a').vms
  const ansible = parseInventory(read('test/fixtures/inventory/good/equivalent.ansible.yaml'), 'b').vms
  assert.deepEqual(ansible, meshvm)
  const cart2 = byName(meshvm)['cart-2']
  assert.deepEqual(cart2.ssh, {
    host: 'cart-2.internal',
    port: 2201,
    user: 'root',
    identityFile: join(homedir(), '.ssh/mesh'),
    proxyJump: 'ops@bastion:2222',
    defaulted: [],
  })
  assert.deepEqual(cart2.workloadGroup, {
    name: 'cart',
    namespace: 'shop',
    serviceAccount: 'cart-sa',
    labels: { app: 'cart', version: 'v2' },
    annotations: { team: 'payments' },
    ports: { http: 8080, grpc: 9090 },
    network: 'vm-net',
    probe: { tcpSocket: { port: 8080 } },
  })
  assert.equal(cart2.externalIP, '203.0.113.12')
  assert.equal(cart2.internalIP, undefined, 'externalIP excludes the default internalIP')
  assert.deepEqual(cart2.become, { method: 'none' })
  assert.deepEqual(cart2.vars, { env: 'prod', shard: 2 })
  assert.deepEqual(cart2.package, {
    url: 'https://example.com/istio-sidecar.deb',
    sha256: '0'.repeat(64),
    version: '1.24.2',
  })
  assert.equal(cart2.packageMirror, 'http://mirror.internal/istio-release/releases')
  assert.equal(cart2.packageFetch, 'vm')
  const cart1 = byName(meshvm)['cart-1']
  assert.equal(cart1.packageFetch, undefined)
  assert.equal(cart1.internalIP, '10.1.0.11')
  assert.deepEqual(cart1.become, { method: 'sudo' })
  assert.equal(cart1.captureDns, false)
  assert.equal(cart1.autoregister, true)
  assert.equal(cart1.tokenDuration, 7200)
  assert.equal(cart1.revision, 'canary')
  assert.equal(cart1.clusterId, 'cluster1')
  assert.equal(cart1.ingressService, 'eastwest.istio-gateways')
})

test('the example inventories parse and describe the same fleet', () => {
  const meshvm = parseInventory(read('inventory/example.yaml'), 'inventory/example.yaml').vms
  const ansible = parseInventory(read('inventory/ansible-example.yaml'), 'inventory/ansible-example.yaml').vms
  assert.deepEqual(
    meshvm.map((vm) => vm.name),
    ['nginx-vm-1', 'nginx-vm-2'],
  )
  const withoutGroups = (list: Vm[]) => list.map(({ groups: _, ...vm }) => vm)
  assert.deepEqual(withoutGroups(ansible), withoutGroups(meshvm))
  assert.equal(meshvm[1].ssh.proxyJump, 'ops@bastion.example.net')
  assert.equal(meshvm[0].ssh.proxyJump, undefined)
})

test('a VM with only the required keys gets the documented defaults', () => {
  const [vm] = vms('vms:\n  db-1: { app: db, namespace: data }\n')
  assert.equal(vm.ssh.host, 'db-1', 'the name doubles as the address, as in Ansible')
  assert.equal(vm.ssh.port, 22)
  assert.deepEqual(vm.ssh.defaulted, ['user', 'port'], 'so ~/.ssh/config may still set them')
  assert.equal(vm.workloadGroup.serviceAccount, 'default')
  assert.equal(vm.workloadGroup.network, '')
  assert.equal(vm.istioNamespace, 'istio-system')
  assert.equal(vm.ingressService, 'istio-eastwestgateway')
  assert.equal(vm.ingressIP, undefined)
  assert.equal(vm.clusterId, undefined)
  assert.equal(vm.internalIP, undefined, 'a host name is not an IP')
  assert.equal(vm.captureDns, true)
  assert.equal(vm.autoregister, false)
  assert.equal(vm.tokenDuration, 3600)
  assert.equal(vm.revision, '')
  assert.equal(vm.package, undefined)
})

test('a package file is found next to the inventory, a URL is kept as written', () => {
  const text = `defaults: { app: a, namespace: n }
vms:
  pushed: { package: { file: debs/istio-sidecar.deb } }
  fetched: { app: b, package: { url: "https://example.com/s.deb", sha256: "${'a'.repeat(64)}" } }
`
  const [pushed, fetched] = parseInventory(text, '/srv/fleet/inventory.yaml').vms
  assert.deepEqual(pushed.package, { file: '/srv/fleet/debs/istio-sidecar.deb' })
  assert.deepEqual(fetched.package, { url: 'https://example.com/s.deb', sha256: 'a'.repeat(64) })
})

test('internalIP defaults to the address only when that is a reachable IP', () => {
  const list = byName(
    vms(`defaults: { app: a, namespace: n }
vms:
  v4: { address: 10.0.0.5 }
  v6: { address: "fd00::5" }
  forwarded: { address: 127.0.0.1, port: 2222 }
  explicit: { address: 127.0.0.1, internalIP: 192.168.56.11 }
`),
  )
  assert.equal(list.v4.internalIP, '10.0.0.5')
  assert.equal(list.v6.internalIP, 'fd00::5')
  assert.equal(list.forwarded.internalIP, undefined)
  assert.equal(list.explicit.internalIP, '192.168.56.11')
})

test('meshvm precedence: defaults < groups in listed order < VM; maps merge per key, the rest replaces', () => {
  const list = byName(
    vms(`defaults:
  app: shop
  namespace: n
  user: base
  port: 2200
  labels: { tier: backend, team: core }
  probe: { httpGet: { path: /healthz, port: 80 } }
groups:
  first: { user: first, port: 2201, labels: { team: first, zone: a } }
  second: { user: second, labels: { zone: b }, probe: { tcpSocket: { port: 81 } } }
vms:
  both: { app: both, groups: [first, second] }
  reversed: { app: reversed, groups: [second, first] }
  own: { app: own, groups: [first, second], user: own, labels: { zone: c } }
`),
  )
  assert.equal(list.both.ssh.user, 'second')
  assert.equal(list.both.ssh.port, 2201)
  assert.deepEqual(list.both.groups, ['first', 'second'])
  assert.deepEqual(list.both.workloadGroup.labels, { tier: 'backend', team: 'first', zone: 'b' })
  assert.deepEqual(list.both.workloadGroup.probe, { tcpSocket: { port: 81 } }, 'a probe is replaced whole')
  assert.equal(list.reversed.ssh.user, 'first')
  assert.equal(list.own.ssh.user, 'own')
  assert.deepEqual(list.own.workloadGroup.labels, { tier: 'backend', team: 'first', zone: 'c' })
})

test('Ansible precedence: all < parent < child, same depth by name, host vars last', () => {
  const list = byName(
    vms(`all:
  vars: { meshvm_app: shop, meshvm_namespace: n, ansible_user: from-all, ansible_port: 2200, meshvm_revision: all, meshvm_network: all }
  children:
    zeta:
      vars: { ansible_user: from-zeta, meshvm_revision: zeta }
      hosts: { h1: }
    alpha:
      vars: { ansible_user: from-alpha, meshvm_revision: alpha, meshvm_network: alpha }
      hosts: { h1: }
      children:
        alpha_child:
          vars: { ansible_user: from-child }
          hosts:
            h2: { ansible_port: 2202 }
    beta:
      hosts:
        h2: { ansible_port: 2203, ansible_become: yes }
`),
  )
  assert.equal(list.h1.ssh.user, 'from-zeta', 'alpha sorts before zeta, so zeta wins')
  assert.equal(list.h1.revision, 'zeta')
  assert.equal(list.h1.workloadGroup.network, 'alpha')
  assert.equal(list.h1.ssh.port, 2200)
  assert.deepEqual(list.h1.groups, ['alpha', 'zeta'])
  assert.equal(list.h2.ssh.user, 'from-child', 'a child group wins over its parent')
  assert.equal(list.h2.ssh.port, 2203, 'host vars from a later listing win')
  assert.deepEqual(list.h2.groups, ['alpha', 'beta', 'alpha_child'], 'members of the parent group too')
  assert.deepEqual(list.h2.become, { method: 'sudo' })
})

test('Ansible host ranges expand, other vars become playbook vars', () => {
  const list = vms(`web:
  vars: { meshvm_app: web, meshvm_namespace: n, version: 3, ansible_python_interpreter: /usr/bin/python3 }
  hosts:
    web[08:10].example.com:
`)
  assert.deepEqual(
    list.map((vm) => vm.name),
    ['web08.example.com', 'web09.example.com', 'web10.example.com'],
  )
  assert.deepEqual(list[0].groups, ['web'])
  assert.deepEqual(list[0].vars, { version: 3, ansible_python_interpreter: '/usr/bin/python3' })
  assert.deepEqual(expandHostRange('db-[a:c]'), ['db-a', 'db-b', 'db-c'])
  assert.deepEqual(expandHostRange('n[1:7:3]'), ['n1', 'n4', 'n7'])
  assert.deepEqual(expandHostRange('r[1:2]c[1:2]'), ['r1c1', 'r1c2', 'r2c1', 'r2c2'])
  assert.deepEqual(expandHostRange('plain'), ['plain'])
})
