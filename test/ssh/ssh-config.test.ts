import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { connect } from '../../src/ssh/connect.js'
import { SshError } from '../../src/ssh/errors.js'
import { resolveHops } from '../../src/ssh/resolve.js'
import { startSshd, type Sshd } from '../support/sshd.js'
import { trustingOptions } from './helpers.js'

for (const resolver of ['ssh', 'builtin'] as const)
  describe(`ssh_config aliases, ProxyCommand and ProxyJump against real sshds (${resolver})`, () => {
    let jump: Sshd
    let inner: Sshd
    let vm: Sshd
    let config: string

    before(async () => {
      // DEBUG1 logs each forwarded connection's target, proving traffic went through the jump host.
      jump = await startSshd({ config: ['LogLevel DEBUG1'] })
      inner = await startSshd({ config: ['LogLevel DEBUG1'] })
      vm = await startSshd()
      config = join(vm.dir, 'ssh_config')
      const sshKnownHosts = join(vm.dir, 'ssh_known_hosts')
      writeFileSync(sshKnownHosts, `[127.0.0.1]:${jump.port} ${jump.hostKey}\n`)
      writeFileSync(
        config,
        [
          'Host vm-via-proxy-command',
          '  HostName 127.0.0.1',
          `  Port ${vm.port}`,
          '  User root',
          `  IdentityFile ${vm.clientKey}`,
          `  ProxyCommand ssh -F ${config} -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${sshKnownHosts} -W %h:%p jump-alias`,
          'Host vm-deep',
          '  HostName 127.0.0.1',
          `  Port ${vm.port}`,
          '  User root',
          `  IdentityFile ${vm.clientKey}`,
          '  ProxyJump inner-alias',
          'Host inner-alias',
          '  HostName 127.0.0.1',
          `  Port ${inner.port}`,
          '  User root',
          `  IdentityFile ${inner.clientKey}`,
          '  ProxyJump jump-alias',
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
      await inner?.stop()
      await jump?.stop()
    })

    const knownHosts = () => {
      const options = trustingOptions(vm, { sshConfigFile: config, resolver })
      const lines = [vm, jump, inner].map((s) => `[127.0.0.1]:${s.port} ${s.hostKey}\n`)
      writeFileSync(options.knownHostsFile!, lines.join(''))
      return options
    }

    it('connects through a ProxyCommand (its stdin and stdout are the transport)', async () => {
      const before = jump.log().length
      const conn = await connect({ host: 'vm-via-proxy-command' }, knownHosts())
      assert.equal((await conn.exec('echo via proxy command')).stdout, 'via proxy command\n')
      await conn.close()
      assert.match(jump.log().slice(before), new RegExp(`target 127\\.0\\.0\\.1 port ${vm.port}`))
    })

    it("follows a jump host's own ProxyJump: jump → inner → vm", async () => {
      const hops = await resolveHops({ host: 'vm-deep' }, { sshConfigFile: config, resolver })
      assert.deepEqual(
        hops.map((h) => [h.alias, h.port, h.via]),
        [
          ['jump-alias', jump.port, 'direct'],
          ['inner-alias', inner.port, 'jump'],
          ['vm-deep', vm.port, 'jump'],
        ],
      )
      const [jumpBefore, innerBefore] = [jump.log().length, inner.log().length]
      const conn = await connect({ host: 'vm-deep' }, knownHosts())
      assert.equal((await conn.exec('echo two levels')).stdout, 'two levels\n')
      await conn.close()
      assert.match(jump.log().slice(jumpBefore), new RegExp(`target 127\\.0\\.0\\.1 port ${inner.port}`))
      assert.match(inner.log().slice(innerBefore), new RegExp(`target 127\\.0\\.0\\.1 port ${vm.port}`))
    })

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
      const options = trustingOptions(vm, { sshConfigFile: config, resolver })
      await assert.rejects(connect({ host: 'vm-behind-jump' }, options), (err: unknown) => {
        assert.ok(err instanceof SshError)
        assert.equal(err.kind, 'hostkey')
        assert.match(
          err.message,
          new RegExp(
            `^root@127\\.0\\.0\\.1:${jump.port}: host key for \\[127\\.0\\.0\\.1\\]:${jump.port} is not known`,
          ),
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
