// The wizard's answers become a meshvm inventory text: what it writes must parse back to the same VM, without secrets.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseInventory } from '../../src/inventory/read.js'
import {
  inventoryText,
  parseLabels,
  parsePorts,
  validIP,
  validLabels,
  validNamespace,
  validPorts,
  versionInFileName,
  type WizardAnswers,
} from '../../src/prompts/wizard-answers.js'

const answers: WizardAnswers = {
  host: '10.0.0.7',
  port: 2222,
  user: 'ops',
  identityFile: '/home/ops/.ssh/id_ed25519',
  app: 'billing',
  namespace: 'vm-apps',
  serviceAccount: 'billing',
  network: 'net-a',
  labels: { app: 'billing', version: '1.10' },
  ports: { http: 8080, grpc: 9090 },
  ingressIP: '192.0.2.10',
  package: { url: 'https://example.com/istio-sidecar.deb', sha256: 'a'.repeat(64), version: '1.24.2' },
  autoregister: false,
}

test('the inventory text parses back to the VM the answers describe', () => {
  const text = inventoryText(answers, 'meshvm onboard -i billing.yaml')
  assert.match(text, /^# Run again with: meshvm onboard -i billing\.yaml$/m)
  const [vm] = parseInventory(text, '/any/dir/billing.yaml').vms
  assert.equal(vm.name, '10.0.0.7')
  const { host, port, user, identityFile } = vm.ssh
  assert.deepEqual([host, port, user, identityFile], ['10.0.0.7', 2222, 'ops', '/home/ops/.ssh/id_ed25519'])
  assert.deepEqual(vm.workloadGroup, {
    name: 'billing',
    namespace: 'vm-apps',
    serviceAccount: 'billing',
    labels: { app: 'billing', version: '1.10' },
    annotations: {},
    ports: { http: 8080, grpc: 9090 },
    network: 'net-a',
    probe: undefined,
  })
  assert.equal(vm.ingressIP, '192.0.2.10')
  assert.equal(vm.autoregister, false)
  assert.deepEqual(vm.package, answers.package)
})

test('agent or password login, port 22, no ingress and the default package leave those keys out', () => {
  const minimal: WizardAnswers = { ...answers, port: 22, identityFile: undefined, network: '', labels: {}, ports: {} }
  const text = inventoryText({ ...minimal, ingressIP: undefined, package: undefined }, 'x')
  for (const key of ['port', 'identityFile', 'network', 'labels', 'ports', 'ingressIP', 'package', 'password']) {
    assert.doesNotMatch(text, new RegExp(`^\\s+${key}:`, 'm'), key)
  }
  const [vm] = parseInventory(text, 'x.yaml').vms
  assert.deepEqual(vm.ssh.defaulted, ['port'])
})

test('validators explain what is wrong while the user types', () => {
  assert.equal(validNamespace('vm-apps'), true)
  assert.match(String(validNamespace('VM_apps')), /not a valid namespace/)
  assert.equal(validLabels('app=web, version=v1'), true)
  assert.equal(validLabels(''), true)
  assert.match(String(validLabels('app')), /key=value/)
  assert.match(String(validLabels('app=has space')), /not a valid label value/)
  assert.equal(validPorts('http=80,grpc=9090'), true)
  assert.match(String(validPorts('http=99999')), /http: .*1 to 65535/)
  assert.match(String(validPorts('HTTP=80')), /not a valid port name/)
  assert.equal(validIP(''), true)
  assert.match(String(validIP('10.0.0')), /IP address/)
})

test('k=v lists and package versions are read as typed', () => {
  assert.deepEqual(parseLabels(' app = web ,version=v1,'), { app: 'web', version: 'v1' })
  assert.deepEqual(parsePorts('http=80'), { http: 80 })
  assert.equal(versionInFileName('/tmp/pkgs/istio-sidecar_1.24.2lab_amd64.deb'), '1.24.2')
  assert.equal(versionInFileName('istio-sidecar.deb'), '')
})
