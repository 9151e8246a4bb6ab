import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { connect } from '../../src/ssh/connect.js'
import { SshError } from '../../src/ssh/errors.js'
import { keygen, startSshd, type Sshd } from '../support/sshd.js'

const dir = mkdtempSync(join(tmpdir(), 'meshvm-hostcert-'))
const path = (name: string) => join(dir, name)
const publicOf = (key: string) => readFileSync(`${key}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')

/** ssh-keygen -s -h: a host certificate for `key`.pub, signed by `ca`. */
function certifyHost(ca: string, key: string, principals: string, validity = '-5m:+1h'): void {
  execFileSync('ssh-keygen', [
    '-q',
    '-s',
    ca,
    '-h',
    '-I',
    'meshvm-host',
    '-n',
    principals,
    '-V',
    validity,
    `${key}.pub`,
  ])
}

describe('host certificates (@cert-authority in known_hosts, sshd HostCertificate)', () => {
  let sshd: Sshd
  before(async () => {
    keygen(path('host_ca'))
    keygen(path('other_ca'))
    keygen(path('host_key'))
    certifyHost(path('host_ca'), path('host_key'), '127.0.0.1,vm.example.test')
    // The certified key comes first, so sshd serves it (and its certificate) for ssh-ed25519.
    sshd = await startSshd({ config: [`HostKey ${path('host_key')}`, `HostCertificate ${path('host_key-cert.pub')}`] })
  })
  after(async () => {
    await sshd?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const tryConnect = (knownHosts: string, extra: { host?: string; config?: string } = {}) => {
    const file = path('known_hosts')
    writeFileSync(file, knownHosts)
    const target = { host: extra.host ?? '127.0.0.1', port: sshd.port, user: 'root', identityFile: sshd.clientKey }
    return connect(target, { knownHostsFile: file, sshConfigFile: extra.config ?? 'none', agentSocket: '' })
  }
  /** The oracle: does OpenSSH's ssh (StrictHostKeyChecking yes) accept the host with this known_hosts? */
  const sshAccepts = (knownHosts: string, extra: string[] = []) => {
    writeFileSync(path('known_hosts_ssh'), knownHosts)
    const args = [
      '-F',
      'none',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${path('known_hosts_ssh')}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-i',
      sshd.clientKey,
      '-p',
      String(sshd.port),
      ...extra,
      'root@127.0.0.1',
      'true',
    ]
    return spawnSync('ssh', args, { stdio: 'ignore' }).status === 0
  }

  it('accepts a host whose certificate a listed CA signed, with no plain key in known_hosts', async () => {
    const line = `@cert-authority [127.0.0.1]:${sshd.port} ${publicOf(path('host_ca'))}\n`
    assert.equal(sshAccepts(line), true)
    const conn = await tryConnect(line)
    assert.equal((await conn.exec('echo certified')).stdout, 'certified\n')
    await conn.close()
  })

  it('accepts a CA listed under a wildcard pattern', async () => {
    const line = `@cert-authority * ${publicOf(path('host_ca'))}\n`
    assert.equal(sshAccepts(line), true)
    await (await tryConnect(line)).close()
  })

  it('refuses a certificate signed by a CA that is not listed', async () => {
    const line = `@cert-authority * ${publicOf(path('other_ca'))}\n`
    assert.equal(sshAccepts(line), false)
    await assert.rejects(tryConnect(line), (err: unknown) => err instanceof SshError && err.kind === 'hostkey')
  })

  it('refuses a CA marked @revoked', async () => {
    const lines = `@cert-authority * ${publicOf(path('host_ca'))}\n@revoked * ${publicOf(path('host_ca'))}\n`
    assert.equal(sshAccepts(lines), false)
    await assert.rejects(tryConnect(lines), (err: unknown) => err instanceof SshError && err.kind === 'hostkey')
  })

  it('checks the principals against HostKeyAlias when one is set', async () => {
    const config = path('ssh_config')
    const line = `@cert-authority * ${publicOf(path('host_ca'))}\n`
    writeFileSync(config, 'Host *\n  HostKeyAlias vm.example.test\n')
    assert.equal(sshAccepts(line, ['-o', 'HostKeyAlias=vm.example.test']), true)
    await (await tryConnect(line, { config })).close()
    writeFileSync(config, 'Host *\n  HostKeyAlias not-a-principal.example.test\n')
    assert.equal(sshAccepts(line, ['-o', 'HostKeyAlias=not-a-principal.example.test']), false)
    await assert.rejects(tryConnect(line, { config: config }), (err: unknown) => {
      assert.ok(err instanceof SshError && err.kind === 'hostkey')
      assert.match(err.message, /principals \(127\.0\.0\.1, vm\.example\.test\) do not include not-a-principal/)
      return true
    })
  })
})
