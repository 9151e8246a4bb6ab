// The wizard's login check and the run connect the same way: a VM the inventory gives no port reaches the `Port` of
// ~/.ssh/config in both (the check once connected to 22 while the run honoured ssh_config).
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { connectVm } from '../../src/fleet/connect.js'
import { checkLogin } from '../../src/fleet/login.js'
import { parseInventory } from '../../src/inventory/read.js'
import type { Vm } from '../../src/inventory/types.js'
import { startSshd, type Sshd } from '../support/sshd.js'

describe('a Port in ssh_config', () => {
  let sshd: Sshd
  let dir: string
  let sshConfigFile: string
  let vm: Vm

  before(async () => {
    sshd = await startSshd()
    dir = mkdtempSync(join(tmpdir(), 'meshvm-login-'))
    sshConfigFile = join(dir, 'ssh_config')
    writeFileSync(
      sshConfigFile,
      `Host web-vm\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  IdentityFile ${sshd.clientKey}\n`,
    )
    writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n`)
    const inventory = join(dir, 'inventory.yaml')
    const text =
      'defaults: { app: web, namespace: apps, user: root, knownHostsFile: known_hosts }\nvms:\n  web-vm: {}\n'
    vm = parseInventory(text, inventory).vms[0]
  })
  after(async () => {
    await sshd?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('leaves the port to ssh_config when the inventory gives none', () => {
    assert.deepEqual(vm.ssh.defaulted, ['port'])
  })

  it('is where the login check connects', async () => {
    const asked: string[] = []
    await checkLogin(vm, { acceptNewHostKeys: false, sshConfigFile }, async (where) => {
      asked.push(where)
      return false
    })
    assert.deepEqual(asked, [], 'the host key is known, so nothing is asked')
  })

  it('is where the run connects', async () => {
    const conn = await connectVm(vm, { acceptNewHostKeys: false, sshConfigFile })
    assert.equal((await conn.exec('echo $SSH_CONNECTION')).stdout.trim().split(' ').at(-1), String(sshd.port))
    await conn.close()
  })

  it('asks about an unknown host key under the name known_hosts uses for that port', async () => {
    writeFileSync(join(dir, 'known_hosts'), '')
    const asked: string[] = []
    await assert.rejects(
      checkLogin(vm, { acceptNewHostKeys: false, sshConfigFile }, async (where) => {
        asked.push(where)
        return false
      }),
      /host key not trusted; nothing changed/,
    )
    assert.deepEqual(asked, [`[127.0.0.1]:${sshd.port}`])
  })
})
