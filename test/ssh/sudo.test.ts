import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { connect } from '../../src/ssh/connect.js'
import { SshError } from '../../src/ssh/errors.js'
import { Secret } from '../../src/secret.js'
import { createUser, startSshd, type Sshd } from '../support/sshd.js'
import { targetOf, trustingOptions, readRemote } from './helpers.js'

function commandError(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof SshError, String(err))
    assert.equal(err.kind, 'command')
    assert.match(err.message, pattern)
    return true
  }
}

describe('sudo for a non-root login user', () => {
  let sshd: Sshd
  const password = 'lab-sudo-pass'
  const users = {
    nopasswd: createUser(`mvt-np-${process.pid}`, {}),
    password: createUser(`mvt-pw-${process.pid}`, { password }),
  }

  before(async () => {
    sshd = await startSshd({ config: ['PasswordAuthentication yes'] })
  })
  after(async () => {
    await sshd?.stop()
    users.nopasswd.remove()
    users.password.remove()
  })

  const login = (user: string, becomePassword?: Secret) =>
    connect(targetOf(sshd, user), trustingOptions(sshd, { becomePassword }))

  it('runs as root with NOPASSWD sudo, and as the user without it', async () => {
    const conn = await login(users.nopasswd.name)
    assert.equal((await conn.exec('id -un')).stdout, `${users.nopasswd.name}\n`)
    assert.equal((await conn.exec('id -un', { sudo: true })).stdout, 'root\n')
    assert.equal((await conn.exec('cat; echo "$LC_ALL"', { sudo: true, stdin: 'in\n' })).stdout, 'in\nC\n')
    await conn.close()
  })

  it('puts root-owned files (small ones from stdin, large ones through the private staging dir) and reads them back with sudo', async () => {
    const conn = await login(users.nopasswd.name)
    const path = join(sshd.dir, 'root-only')
    await conn.put(path, new Secret('token-value'), { mode: 0o600 })
    const st = statSync(path)
    assert.deepEqual([st.uid, st.mode & 0o7777], [0, 0o600])
    assert.equal(readFileSync(path, 'utf8'), 'token-value')
    const stage = `/home/${users.nopasswd.name}/.meshvm/stage`
    assert.equal(existsSync(stage), false, 'a small file needs no SFTP staging')
    const large = Buffer.alloc(1024 * 1024, 7)
    await conn.put(join(sshd.dir, 'root-large'), large, { mode: 0o644 })
    assert.ok(readFileSync(join(sshd.dir, 'root-large')).equals(large))
    assert.equal(statSync(join(sshd.dir, 'root-large')).uid, 0)
    assert.equal(statSync(stage).mode & 0o777, 0o700)
    assert.deepEqual(readdirSync(stage), [])
    assert.equal((await readRemote(conn, path, { sudo: true }))?.toString(), 'token-value')
    await assert.rejects(readRemote(conn, path), commandError(/reading .*root-only failed: .*Permission denied/))
    await conn.close()
  })

  it('logs in with a password when no key is offered', async () => {
    const target = { host: '127.0.0.1', port: sshd.port, user: users.password.name, password: new Secret(password) }
    const conn = await connect(target, trustingOptions(sshd))
    assert.equal((await conn.exec('id -un')).stdout, `${users.password.name}\n`)
    await conn.close()
    const wrong = { ...target, password: new Secret('not-it') }
    await assert.rejects(connect(wrong, trustingOptions(sshd)), (err: unknown) => {
      assert.ok(err instanceof SshError)
      assert.equal(err.kind, 'auth')
      assert.match(err.message, /authentication failed.*tried password/)
      return true
    })
  })

  it('asks for --ask-become-pass when sudo wants a password and none was given', async () => {
    const conn = await login(users.password.name)
    await assert.rejects(
      conn.exec('true', { sudo: true }),
      commandError(/sudo requires a password; pass --ask-become-pass/),
    )
    await conn.close()
  })

  it('feeds the become password to sudo, never to the command', async () => {
    const conn = await login(users.password.name, new Secret(password))
    for (let i = 0; i < 2; i++) {
      const r = await conn.exec('id -un; cat', { sudo: true, stdin: 'payload\n' })
      assert.deepEqual(r, { code: 0, stdout: 'root\npayload\n', stderr: '' })
    }
    await conn.put(join(sshd.dir, 'via-password'), 'x', { mode: 0o644 })
    assert.equal(readFileSync(join(sshd.dir, 'via-password'), 'utf8'), 'x')
    await conn.close()
  })

  it('reports a wrong become password clearly, without printing it', async () => {
    const wrong = new Secret('wrong-password')
    const conn = await login(users.password.name, wrong)
    await assert.rejects(conn.exec('true', { sudo: true }), (err: unknown) => {
      commandError(/: sudo: incorrect password$/)(err)
      assert.equal((err as Error).message.includes(wrong.reveal()), false)
      return true
    })
    await conn.close()
  })

  it('reports a user without sudo rights as a command error', async () => {
    writeFileSync(`/etc/sudoers.d/${users.nopasswd.name}`, '')
    const conn = await login(users.nopasswd.name)
    await assert.rejects(conn.exec('true', { sudo: true }), commandError(/sudo refused|sudo requires a password/))
    await conn.close()
  })
})
