import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHmac, randomBytes } from 'node:crypto'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { connect, type ConnectOptions } from '../../src/ssh/connect.js'
import { SshError, isUnreachable } from '../../src/ssh/errors.js'
import { keygen, startSshd, type Sshd } from '../support/sshd.js'
import { targetOf } from './helpers.js'

function hostKeyError(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof SshError, String(err))
    assert.equal(err.kind, 'hostkey')
    assert.equal(isUnreachable(err), true)
    assert.match(err.message, pattern)
    return true
  }
}

function hashedName(name: string): string {
  const salt = randomBytes(20)
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`
}

describe('known_hosts verification', () => {
  let sshd: Sshd
  let name: string
  let knownHosts: string
  let options: ConnectOptions
  // Another key of the same type, as a reinstalled host would present.
  let otherKey: string

  before(async () => {
    sshd = await startSshd()
    name = `[127.0.0.1]:${sshd.port}`
    knownHosts = join(sshd.dir, 'ssh', 'known_hosts')
    options = { knownHostsFile: knownHosts, sshConfigFile: 'none', agentSocket: '' }
    otherKey = keygen(join(sshd.dir, 'other')).split(' ').slice(0, 2).join(' ')
  })
  after(() => sshd?.stop())

  const tryConnect = async (extra: ConnectOptions = {}) =>
    (await connect(targetOf(sshd), { ...options, ...extra })).close()

  it('refuses an unknown host key with its fingerprint and the way out', async () => {
    await assert.rejects(
      tryConnect(),
      hostKeyError(
        /host key for \[127\.0\.0\.1\]:\d+ is not known \(ssh-ed25519 key SHA256:[\w+/]+\); add it to known_hosts \(\/.*\/known_hosts\) or pass --accept-new-host-keys/,
      ),
    )
    assert.equal(existsSync(knownHosts), false)
    const sshKeygen = execFileSync('ssh-keygen', ['-lf', join(sshd.dir, 'host_ed25519.pub')], { encoding: 'utf8' })
    const fingerprint = sshKeygen.split(' ')[1]
    await assert.rejects(tryConnect(), (err: Error) => err.message.includes(`ssh-ed25519 key ${fingerprint})`))
  })

  it('records a new key with --accept-new-host-keys, then trusts it without the flag', async () => {
    await tryConnect({ acceptNewHostKeys: true })
    assert.equal(readFileSync(knownHosts, 'utf8'), `${name} ${sshd.hostKey}\n`)
    assert.equal(statSync(knownHosts).mode & 0o777, 0o600)
    assert.equal(statSync(join(sshd.dir, 'ssh')).mode & 0o777, 0o700)
    await tryConnect()
  })

  it('refuses a changed key, even with --accept-new-host-keys', async () => {
    writeFileSync(knownHosts, `${name} ${otherKey}\n`)
    await assert.rejects(
      tryConnect({ acceptNewHostKeys: true }),
      hostKeyError(/REMOTE HOST IDENTIFICATION HAS CHANGED for \[127/),
    )
    assert.equal(readFileSync(knownHosts, 'utf8'), `${name} ${otherKey}\n`)
  })

  it("the changed-key hint names the fleet's own known_hosts (-f FILE), and running it lets the new key in", async () => {
    writeFileSync(knownHosts, `${name} ${otherKey}\n`)
    const err = await connect(targetOf(sshd), options).then(
      () => assert.fail('connected'),
      (e: Error) => e,
    )
    const hint = /run: (ssh-keygen -R .*)$/.exec(err.message)?.[1]
    assert.equal(hint, `ssh-keygen -R '${name}' -f '${knownHosts}'`)
    execFileSync('sh', ['-c', `${hint} 2>/dev/null`])
    await tryConnect({ acceptNewHostKeys: true })
    assert.equal(readFileSync(knownHosts, 'utf8').trim().split('\n').pop(), `${name} ${sshd.hostKey}`)
  })

  it('accepts the right key among several for the host', async () => {
    writeFileSync(knownHosts, `${name} ${otherKey}\n${name} ${sshd.hostKey}\n`)
    await tryConnect()
  })

  it('matches hashed entries', async () => {
    writeFileSync(knownHosts, `${hashedName(name)} ${sshd.hostKey}\n`)
    await tryConnect()
    writeFileSync(knownHosts, `${hashedName(name)} ${otherKey}\n`)
    await assert.rejects(tryConnect(), hostKeyError(/HAS CHANGED/))
  })

  it('falls back to the bare host name only when nothing is known under [host]:port, as ssh does', async () => {
    writeFileSync(knownHosts, `127.0.0.1 ${sshd.hostKey}\n[127.0.0.1]:1 ${otherKey}\n`)
    await tryConnect()
    writeFileSync(knownHosts, `127.0.0.1 ${sshd.hostKey}\n${name} ${otherKey}\n`)
    await assert.rejects(tryConnect(), hostKeyError(/HAS CHANGED/))
    writeFileSync(knownHosts, `[127.0.0.*]:${sshd.port},!10.0.0.1 ${sshd.hostKey}\n`)
    await tryConnect()
  })

  it('refuses a key marked @revoked', async () => {
    writeFileSync(knownHosts, `@revoked * ${sshd.hostKey}\n${name} ${sshd.hostKey}\n`)
    await assert.rejects(tryConnect({ acceptNewHostKeys: true }), hostKeyError(/marked @revoked/))
  })

  it('appends without corrupting a file whose last line has no newline, and survives parallel appends', async () => {
    writeFileSync(knownHosts, `other.example ${otherKey}`)
    await Promise.all(Array.from({ length: 5 }, () => tryConnect({ acceptNewHostKeys: true })))
    const lines = readFileSync(knownHosts, 'utf8').split('\n').filter(Boolean)
    assert.equal(lines[0], `other.example ${otherKey}`)
    assert.ok(lines.length >= 2)
    for (const line of lines.slice(1)) assert.equal(line, `${name} ${sshd.hostKey}`)
  })
})
