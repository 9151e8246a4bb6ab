import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { connect } from '../../src/ssh/connect.js'
import { SshError } from '../../src/ssh/errors.js'
import { resolveHops } from '../../src/ssh/resolve.js'
import { lookupSshConfig, readSshConfig } from '../../src/ssh/ssh-config.js'
import { startSshd, type Sshd } from '../support/sshd.js'
import { trustingOptions } from './helpers.js'

describe('ssh_config parsing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshvm-sshcfg-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text)
    return join(dir, name)
  }

  it('applies matching Host blocks in order: first value wins, IdentityFile accumulates', () => {
    const file = write(
      'config',
      [
        '# comment',
        'Host web-* !web-db',
        '  HostName %h.internal',
        '  Port=2201',
        '  IdentityFile ~/.ssh/web_%r',
        'Host web-?',
        '  Port 2202',
        '  User deploy',
        'Match user nobody',
        '  User ignored-by-match',
        'Host *',
        '  User fallback',
        '  IdentityFile "/keys/all users"',
        '  ProxyJump bastion',
        '  StrictHostKeyChecking accept-new',
        '  ConnectTimeout 7',
      ].join('\n'),
    )
    const lines = readSshConfig(file)
    assert.deepEqual(lookupSshConfig(lines, 'web-1'), {
      hostName: 'web-1.internal',
      port: 2201,
      user: 'deploy',
      identityFiles: ['~/.ssh/web_%r', '/keys/all users'],
      proxyJump: 'bastion',
      userKnownHostsFiles: undefined,
      strictHostKeyChecking: 'accept-new',
      connectTimeoutSeconds: 7,
      serverAliveIntervalSeconds: undefined,
    })
    const db = lookupSshConfig(lines, 'web-db')
    assert.equal(db.hostName, undefined)
    assert.equal(db.user, 'fallback')
  })

  it('follows Include (relative to ~/.ssh or absolute, with globs)', () => {
    mkdirSync(join(dir, 'conf.d'))
    write('conf.d/a.conf', 'Host a\n  Port 1001\n')
    write('conf.d/b.conf', 'Host b\n  Port 1002\n')
    const lines = readSshConfig(write('with-include', `Include ${join(dir, 'conf.d')}/*.conf\nHost *\n  Port 22\n`))
    assert.equal(lookupSshConfig(lines, 'a').port, 1001)
    assert.equal(lookupSshConfig(lines, 'b').port, 1002)
    assert.equal(lookupSshConfig(lines, 'c').port, 22)
  })

  it('lets inventory values beat ssh_config, and expands tokens in identity files', () => {
    const lines = readSshConfig(
      write('tokens', 'Host vm1\n  HostName 10.0.0.5\n  Port 2222\n  User cfg\n  IdentityFile ~/.ssh/%h-%r\n'),
    )
    const [hop] = resolveHops({ host: 'vm1', port: 2200, user: 'inv' }, lines, {})
    assert.equal(hop.where, 'inv@10.0.0.5:2200')
    assert.deepEqual(hop.identityFiles, [join(homedir(), '.ssh', '10.0.0.5-inv')])
    const [fromConfig] = resolveHops({ host: 'vm1' }, lines, {})
    assert.equal(fromConfig.where, 'cfg@10.0.0.5:2222')
  })

  it('reads nothing for "none" or a missing file', () => {
    assert.deepEqual(readSshConfig('none'), [])
    assert.deepEqual(readSshConfig(join(dir, 'missing')), [])
  })
})

describe('ssh_config aliases and ProxyJump against real sshds', () => {
  let jump: Sshd
  let vm: Sshd
  let config: string

  before(async () => {
    // DEBUG1 logs each forwarded connection's target, proving traffic went through the jump host.
    jump = await startSshd({ config: ['LogLevel DEBUG1'] })
    vm = await startSshd()
    config = join(vm.dir, 'ssh_config')
    writeFileSync(
      config,
      [
        'Host vm-alias',
        '  HostName 127.0.0.1',
        `  Port ${vm.port}`,
        '  User root',
        `  IdentityFile ${vm.clientKey}`,
        'Host vm-behind-jump',
        '  HostName 127.0.0.1',
        `  Port ${vm.port}`,
        '  User root',
        `  IdentityFile ${vm.clientKey}`,
        '  ProxyJump jump-alias',
        'Host jump-alias',
        '  HostName 127.0.0.1',
        `  Port ${jump.port}`,
        '  User root',
        `  IdentityFile ${jump.clientKey}`,
      ].join('\n') + '\n',
    )
  })
  after(async () => {
    await vm?.stop()
    await jump?.stop()
  })

  const knownHosts = () => {
    const options = trustingOptions(vm, { sshConfigFile: config })
    writeFileSync(
      options.knownHostsFile!,
      `[127.0.0.1]:${vm.port} ${vm.hostKey}\n[127.0.0.1]:${jump.port} ${jump.hostKey}\n`,
    )
    return options
  }

  it('connects to a Host alias with its HostName, Port, User and IdentityFile', async () => {
    const conn = await connect({ host: 'vm-alias' }, knownHosts())
    assert.equal((await conn.exec('id -un')).stdout, 'root\n')
    assert.equal(conn.host, 'vm-alias')
    await conn.close()
  })

  it('goes through the ProxyJump host from ssh_config', async () => {
    const conn = await connect({ host: 'vm-behind-jump' }, knownHosts())
    assert.equal((await conn.exec('echo via jump')).stdout, 'via jump\n')
    await conn.close()
    assert.match(jump.log(), new RegExp(`target 127\\.0\\.0\\.1 port ${vm.port}`))
  })

  it('takes an inventory ProxyJump in user@host:port form', async () => {
    const target = { host: 'vm-alias', proxyJump: `root@jump-alias:${jump.port}` }
    const conn = await connect(target, knownHosts())
    assert.equal((await conn.exec('true')).code, 0)
    await conn.close()
  })

  it('verifies the jump host key too', async () => {
    const options = trustingOptions(vm, { sshConfigFile: config })
    await assert.rejects(connect({ host: 'vm-behind-jump' }, options), (err: unknown) => {
      assert.ok(err instanceof SshError)
      assert.equal(err.kind, 'hostkey')
      assert.match(
        err.message,
        new RegExp(`^root@127\\.0\\.0\\.1:${jump.port}: host key for \\[127\\.0\\.0\\.1\\]:${jump.port} is not known`),
      )
      return true
    })
  })

  it('reports a jump host that cannot reach the VM as connection', async () => {
    const target = { host: '127.0.0.1', port: 1, user: 'root', proxyJump: 'jump-alias' }
    await assert.rejects(connect(target, knownHosts()), (err: unknown) => {
      assert.ok(err instanceof SshError)
      assert.equal(err.kind, 'connection')
      assert.match(err.message, /jump host root@127\.0\.0\.1:\d+ could not connect to it/)
      return true
    })
  })
})
