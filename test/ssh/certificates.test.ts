import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { connect } from '../../src/ssh/connect.js'
import { SshError } from '../../src/ssh/errors.js'
import { keygen, startSshd, type Sshd } from '../support/sshd.js'
import { trustingOptions } from './helpers.js'

const keys = mkdtempSync(join(tmpdir(), 'meshvm-certs-'))
const path = (name: string) => join(keys, name)

/** ssh-keygen -s: a certificate for `key`.pub signed by `ca`, written to `key`-cert.pub. */
function certify(ca: string, key: string, principal: string, host = false): string {
  execFileSync('ssh-keygen', [
    '-q',
    '-s',
    ca,
    '-I',
    'meshvm-test',
    '-n',
    principal,
    '-V',
    '-5m:+1h',
    ...(host ? ['-h'] : []),
    `${key}.pub`,
  ])
  return `${key}-cert.pub`
}

describe('SSH user certificates (ssh-keygen -s, sshd TrustedUserCAKeys)', () => {
  let sshd: Sshd
  before(async () => {
    keygen(path('user_ca'))
    keygen(path('user_key'))
    certify(path('user_ca'), path('user_key'), 'root')
    keygen(path('plain_key'))
    sshd = await startSshd({ config: [`TrustedUserCAKeys ${path('user_ca.pub')}`] })
  })
  after(async () => {
    await sshd?.stop()
    rmSync(keys, { recursive: true, force: true })
  })
  const target = (identityFile: string) => ({ host: '127.0.0.1', port: sshd.port, user: 'root', identityFile })

  it('logs in with <key>-cert.pub beside the key, as ssh does (the key alone is not authorized)', async () => {
    const sshLogin = execFileSync(
      'ssh',
      [
        '-F',
        'none',
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-i',
        path('user_key'),
        '-p',
        String(sshd.port),
        'root@127.0.0.1',
        'echo ssh-ok',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    )
    assert.equal(sshLogin, 'ssh-ok\n')
    const conn = await connect(target(path('user_key')), trustingOptions(sshd))
    assert.equal((await conn.exec('id -un')).stdout, 'root\n')
    await conn.close()
    assert.match(sshd.log(), /Accepted publickey for root .*ED25519-CERT/)
  })

  it('logs in with a CertificateFile named in ssh_config', async () => {
    copyFileSync(path('user_key'), path('vault_key'))
    copyFileSync(path('user_key-cert.pub'), path('vault-signed.pub'))
    const config = path('ssh_config')
    writeFileSync(
      config,
      `Host cert-vm\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User root\n  IdentityFile ${path('vault_key')}\n  CertificateFile ${path('vault-signed.pub')}\n`,
    )
    for (const resolver of ['ssh', 'builtin'] as const) {
      const conn = await connect({ host: 'cert-vm' }, trustingOptions(sshd, { sshConfigFile: config, resolver }))
      assert.equal((await conn.exec('echo cert')).stdout, 'cert\n')
      await conn.close()
    }
  })

  it('is refused without a certificate, naming what it tried', async () => {
    await assert.rejects(connect(target(path('plain_key')), trustingOptions(sshd)), (err: unknown) => {
      assert.ok(err instanceof SshError)
      assert.equal(err.kind, 'auth')
      assert.match(err.message, /tried key .*plain_key$/)
      return true
    })
  })
})
