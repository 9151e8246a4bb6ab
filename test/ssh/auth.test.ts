import assert from 'node:assert/strict'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { connect } from '../../src/ssh/connect.js'
import { SshError, isUnreachable } from '../../src/ssh/errors.js'
import { Secret } from '../../src/secret.js'
import { keygen, startSshd, type Sshd } from '../support/sshd.js'
import { targetOf, trustingOptions, readRemote } from './helpers.js'

function sshErrorOf(kind: string, pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof SshError, String(err))
    assert.equal(err.kind, kind)
    assert.match(err.message, pattern)
    return true
  }
}

describe('authentication and connection errors', () => {
  let sshd: Sshd
  let agent: ChildProcess | undefined
  let agentSocket: string
  let agentKey: string
  let encryptedKey: string

  before(async () => {
    const keysDir = join('/tmp', `meshvm-auth-${process.pid}`)
    mkdirSync(keysDir, { recursive: true })
    agentKey = join(keysDir, 'agent_key')
    encryptedKey = join(keysDir, 'encrypted_key')
    sshd = await startSshd({ extraAuthorizedKeys: [keygen(agentKey), keygen(encryptedKey, 'a passphrase')] })
    agentSocket = join(sshd.dir, 'agent.sock')
    agent = spawn('ssh-agent', ['-D', '-a', agentSocket], { stdio: 'ignore' })
    for (let i = 0; i < 100 && !existsSync(agentSocket); i++) await sleep(50)
    execFileSync('ssh-add', ['-q', agentKey], { env: { ...process.env, SSH_AUTH_SOCK: agentSocket }, stdio: 'ignore' })
    execFileSync('rm', ['-f', agentKey])
  })
  after(async () => {
    agent?.kill()
    await sshd?.stop()
    execFileSync('rm', ['-rf', join('/tmp', `meshvm-auth-${process.pid}`)])
  })

  it('logs in with a key file', async () => {
    const conn = await connect(targetOf(sshd), trustingOptions(sshd))
    assert.equal((await conn.exec('id -un')).stdout, 'root\n')
    await conn.close()
  })

  it('logs in through ssh-agent', async () => {
    const target = { host: '127.0.0.1', port: sshd.port, user: 'root' }
    const conn = await connect(target, trustingOptions(sshd, { agentSocket }))
    assert.equal((await conn.exec('id -un')).stdout, 'root\n')
    await conn.close()
  })

  it('reports refused authentication as auth, naming user@host:port and what was tried', async () => {
    const target = { host: '127.0.0.1', port: sshd.port, user: 'root', identityFile: encryptedKey }
    const password = new Secret('not-the-password')
    await assert.rejects(
      connect(target, trustingOptions(sshd, { password })),
      sshErrorOf(
        'auth',
        /^root@127\.0\.0\.1:\d+: authentication failed.*tried password.*encrypted_key need a passphrase: load them with ssh-add/,
      ),
    )
  })

  it('names a public key given as identityFile, and an encrypted key with no agent running, as such', async () => {
    const pub = `${encryptedKey}.pub`
    await assert.rejects(
      connect(
        { ...targetOf(sshd), identityFile: pub },
        trustingOptions(sshd, { agentSocket: join(sshd.dir, 'no-agent.sock') }),
      ),
      sshErrorOf(
        'auth',
        /authentication failed.*; (no usable key|tried [^;]+); .*encrypted_key\.pub is a public key: identityFile must name the private key \(.*encrypted_key\?\)$/,
      ),
    )
    await assert.rejects(
      connect(
        { ...targetOf(sshd), identityFile: encryptedKey },
        trustingOptions(sshd, { agentSocket: join(sshd.dir, 'no-agent.sock') }),
      ),
      sshErrorOf(
        'auth',
        /; (no usable key|tried [^;]+); .*encrypted_key need a passphrase: load them with ssh-add .* \(no ssh-agent is running: SSH_AUTH_SOCK is unset or gone\)$/,
      ),
    )
  })

  it('reports a missing identity file as auth', async () => {
    const target = { ...targetOf(sshd), identityFile: join(sshd.dir, 'nope') }
    await assert.rejects(connect(target, trustingOptions(sshd)), sshErrorOf('auth', /identity file .*nope not found/))
  })

  it('reports a closed port as connection, unreachable', async () => {
    const target = { ...targetOf(sshd), port: 1 }
    await assert.rejects(connect(target, trustingOptions(sshd)), (err: unknown) => {
      sshErrorOf('connection', /^root@127\.0\.0\.1:1: connection refused$/)(err)
      assert.equal(isUnreachable(err), true)
      return true
    })
  })

  it('reports a server that never speaks SSH as timeout', async () => {
    const sockets: Socket[] = []
    const silent = createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const port = (silent.address() as { port: number }).port
    try {
      await assert.rejects(
        connect({ ...targetOf(sshd), port }, trustingOptions(sshd, { connectTimeoutMs: 300 })),
        sshErrorOf('timeout', /timed out during the SSH handshake/),
      )
    } finally {
      for (const socket of sockets) socket.destroy()
      silent.close()
    }
  })

  it('masks secrets in error messages', async () => {
    const token = new Secret('tok-' + 'x'.repeat(30))
    const conn = await connect(targetOf(sshd), trustingOptions(sshd, { secrets: [token] }))
    const dir = join(sshd.dir, token.reveal())
    mkdirSync(dir)
    await assert.rejects(readRemote(conn, dir), (err: Error) => {
      assert.match(err.message, /reading .*\*\*\* failed: cat: .*\*\*\*: Is a directory/)
      assert.equal(err.message.includes(token.reveal()), false)
      return true
    })
    await conn.close()
  })
})
