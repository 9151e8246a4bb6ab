// `meshvm onboard` on a terminal, driven as a person would in a real pseudo-terminal (tmux): keys in, screen out.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { readInventory } from '../../src/inventory/read.js'
import { sshArgs } from '../../src/lab/hosts/ssh-login.js'
import { labSkipReason, stopOrphanedTestLabs } from '../support/lab-hosts.js'
import { runCli } from '../support/run-cli.js'
import { TmuxScreen } from './tmux-screen.js'

const bin = new URL('../../../bin/meshvm.js', import.meta.url).pathname
const noTmux = spawnSync('tmux', ['-V']).status !== 0 ? 'needs tmux' : false
const cli = (args: string) => `${process.execPath} ${bin} ${args}`

function scratch(): { dir: string; home: string } {
  const dir = mkdtempSync('/tmp/meshvm-wizard-')
  mkdirSync(join(dir, 'home'))
  return { dir, home: join(dir, 'home') }
}

test('without a terminal, --interactive refuses and points to -i INVENTORY (exit 5)', () => {
  const { dir } = scratch()
  try {
    const r = spawnSync(process.execPath, [bin, 'onboard', '--interactive'], { cwd: dir, encoding: 'utf8', input: '' })
    assert.equal(r.status, 5)
    assert.match(r.stderr, /needs a terminal.*meshvm onboard -i INVENTORY/)
    assert.deepEqual(readdirSync(dir), ['home'])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('Ctrl-C at the first question exits 130 with nothing changed', { skip: noTmux }, async () => {
  const { dir, home } = scratch()
  const screen = new TmuxScreen(cli('onboard'), { cwd: dir, env: { HOME: home } })
  try {
    await screen.waitFor(/\? VM address/)
    screen.keys('C-c')
    assert.equal(await screen.exitCode(), 130)
    assert.match(screen.text(), /cancelled, nothing changed/)
    assert.deepEqual(readdirSync(dir), ['home'])
    assert.deepEqual(readdirSync(home), [])
  } finally {
    screen.kill()
    rmSync(dir, { recursive: true, force: true })
  }
})

const labTest = { skip: labSkipReason || noTmux, timeout: 900_000 }

test('the wizard onboards a lab VM: questions, plan, confirm, live run, saved inventory', labTest, async () => {
  await stopOrphanedTestLabs()
  const lab = mkdtempSync('/tmp/meshvm-lab-test-')
  const { dir, home } = scratch()
  let screen: TmuxScreen | undefined
  try {
    const up = await runCli(['lab', 'up', '--vms', '1', '--dir', lab])
    assert.equal(up.code, 0, up.stderr)
    const [labVm] = (await readInventory(join(lab, 'inventory.yaml'))).vms
    // labs side by side: this lab's cluster (and east-west gateway) has an address of its own
    const gateway = /cluster API https:\/\/([\d.]+):/.exec(up.stdout)![1]
    const address = labVm.ssh.host
    const kubeconfig = join(lab, 'kubeconfig')
    const namespace = `wizard-${process.pid}`
    const login = { address, keyFile: labVm.ssh.identityFile!, knownHostsFile: join(lab, 'known_hosts'), user: 'admin' }
    const onHost = (cmd: string) => spawnSync('ssh', [...sshArgs(login), cmd], { encoding: 'utf8' })
    // A fresh HOME: no known_hosts, no keys, no agent, so every answer comes from the screen.
    // the default sidecar package comes from the lab's release mirror (no internet here)
    const env = { HOME: home, SSH_AUTH_SOCK: undefined, MESHVM_PACKAGE_MIRROR: labVm.packageMirror }
    screen = new TmuxScreen(cli(`onboard --kubeconfig ${kubeconfig}`), { cwd: dir, env })
    const s = screen
    await s.answer('VM address', address)
    await s.answer('SSH port:')
    await s.answer('SSH user:', 'admin')
    await s.waitFor(/ssh-agent \(SSH_AUTH_SOCK is not set\)/)
    await s.answer('Authentication:')
    await s.answer('Private key file:', join(lab, 'nope'), false)
    await s.waitFor(/nope: no such file/)
    s.keys('C-u')
    await s.answer('Private key file:', labVm.ssh.identityFile)
    await s.answer('Kubernetes context:')
    await s.waitFor(/\? Namespace[\s\S]*istio-system/)
    s.type('Apps')
    await s.waitFor(/Apps ✗ not a valid namespace/)
    s.keys('C-u')
    s.type(namespace)
    await s.waitFor(new RegExp(`❯ ${namespace} \\(new namespace\\)`))
    await s.answer('Namespace')
    s.type('wizard-vm')
    await s.waitFor(/❯ wizard-vm \(new WorkloadGroup\)/)
    await s.answer('App (WorkloadGroup')
    await s.answer('Service account:')
    await s.answer('Network')
    await s.answer('Labels (key=value,...):', 'version', false)
    await s.waitFor(/write labels as key=value/)
    s.keys('C-u')
    await s.answer('Labels (key=value,...):', 'app=wizard-vm,version=v2')
    await s.answer('Ports (name=port,...):', 'http=8080')
    await s.waitFor(new RegExp(`east-west gateway's is ${gateway.replaceAll('.', '\\.')}`))
    await s.answer('Ingress address')
    await s.waitFor(/❯ the one matching the cluster's Istio version/)
    await s.answer('Sidecar package:')
    await s.answer('Auto-registration')
    await s.waitFor(/The authenticity of [\d.]+ can't be established: ssh-ed25519 key SHA256:/)
    await s.answer('The authenticity', 'y')
    const plan = await s.waitFor(/\? Apply these changes/, 60_000)
    assert.match(plan, /Plan \(check mode, nothing changed yet\)/)
    assert.match(plan, new RegExp(`~ WorkloadGroup ${namespace}/wizard-vm: would create`))
    assert.match(plan, /~ \[\d+\/\d+\] Install the istio-sidecar package: /)
    assert.match(plan, /change\(s\) to make/)
    // check mode changed nothing on the VM
    const before = onHost('test -e /var/run/secrets/tokens/istio-token; echo $?')
    assert.equal(before.stdout.trim(), '1', before.stderr)
    await s.answer('Apply these changes')
    const done = await s.waitFor(/\? Save these answers/, 300_000)
    assert.match(done, /RECAP onboard/)
    assert.match(done, new RegExp(`✓ ${address.replaceAll('.', '\\.')} is in the mesh`))
    await s.answer('Save these answers')
    await s.answer('Inventory file:')
    assert.equal(await s.exitCode(), 0, s.text())
    assert.match(s.text(), /saved wizard-vm-inventory\.yaml/)

    assert.equal(onHost('systemctl is-active istio').stdout.trim(), 'active')
    assert.match(onHost('sudo grep -c "connected to upstream XDS server" /var/log/istio/istio.log').stdout, /^[1-9]/)
    assert.match(readFileSync(join(home, '.ssh', 'known_hosts'), 'utf8'), /ssh-ed25519/)

    const saved = join(dir, 'wizard-vm-inventory.yaml')
    const text = readFileSync(saved, 'utf8')
    assert.doesNotMatch(text, /^\s*password:/m)
    const [vm] = (await readInventory(saved)).vms
    assert.equal(vm.ssh.host, address)
    assert.equal(vm.ssh.user, 'admin')
    assert.equal(vm.workloadGroup.name, 'wizard-vm')
    assert.equal(vm.workloadGroup.namespace, namespace)
    assert.deepEqual(vm.workloadGroup.labels, { app: 'wizard-vm', version: 'v2' })
    assert.deepEqual(vm.workloadGroup.ports, { http: 8080 })
    assert.equal(vm.ingressIP, gateway)
    assert.equal(vm.autoregister, true)

    // The saved file is a fleet inventory: a plain run of it finds nothing left to change.
    const args = ['onboard', '-i', saved, '--kubeconfig', kubeconfig, '--context', 'meshvm-lab', '--output', 'plain']
    const again = spawnSync(process.execPath, [bin, ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, HOME: home, MESHVM_PACKAGE_MIRROR: labVm.packageMirror },
    })
    assert.equal(again.status, 0, again.stdout + again.stderr)
    assert.match(again.stdout, /changed=0/)

    // Password login: typed hidden, refused by the lab's sshd (keys only), explained, and never written anywhere.
    screen.kill()
    screen = new TmuxScreen(cli(`onboard --kubeconfig ${kubeconfig}`), { cwd: dir, env })
    const p = screen
    await p.answer('VM address', address)
    await p.answer('SSH port:')
    await p.answer('SSH user:', 'operator')
    p.keys('Down')
    await p.answer('Authentication:')
    await p.answer(`Password for operator@${address}:`, 'not-the-lab-password')
    await p.answer('Kubernetes context:')
    await p.waitFor(/\? Namespace[\s\S]*istio-system/)
    p.type(namespace)
    await p.waitFor(new RegExp(`❯ ${namespace}\n`))
    await p.answer('Namespace')
    await p.waitFor(/❯ wizard-vm\n/)
    await p.answer('App (WorkloadGroup')
    const rest = ['Service account:', 'Network', 'Labels', 'Ports', 'Ingress', 'Sidecar package:', 'Auto-registration']
    for (const question of rest) await p.answer(question)
    await p.waitFor(/authentication failed[^\n]*\n\s+hint: the VM refused the login/)
    await p.answer('Save these answers')
    await p.answer('Inventory file:', 'operator.yaml')
    assert.equal(await p.exitCode(), 4)
    assert.match(p.text(), /Password for operator@[\d.]+: \*{20}\n/)
    assert.doesNotMatch(p.text(), /not-the-lab-password/)
    const operator = readFileSync(join(dir, 'operator.yaml'), 'utf8')
    assert.doesNotMatch(operator, /not-the-lab-password|password:/)
    assert.match(operator, /user: operator/)
    // the existing group's settings were offered as the defaults
    const [operatorVm] = (await readInventory(join(dir, 'operator.yaml'))).vms
    assert.deepEqual(operatorVm.workloadGroup.labels, { app: 'wizard-vm', version: 'v2' })
  } finally {
    screen?.kill()
    await runCli(['lab', 'down', '--dir', lab])
    rmSync(lab, { recursive: true, force: true })
    rmSync(dir, { recursive: true, force: true })
  }
})
