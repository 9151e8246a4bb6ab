import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { connect } from '../../src/ssh/connect.js'
import { SshError, isUnreachable } from '../../src/ssh/errors.js'
import { shQuote } from '../../src/ssh/exec.js'
import type { Connection } from '../../src/ssh/types.js'
import { Secret } from '../../src/secret.js'
import { startSshd, type Sshd } from '../support/sshd.js'
import { targetOf, trustingOptions, readRemote } from './helpers.js'

describe('exec over one connection', () => {
  let sshd: Sshd
  let conn: Connection
  const token = new Secret('eyJhbGciOiJSUzI1NiJ9.token-body')

  before(async () => {
    sshd = await startSshd()
    conn = await connect(targetOf(sshd), trustingOptions(sshd, { secrets: [token] }))
  })
  after(async () => {
    await conn?.close()
    await sshd?.stop()
  })

  it('returns exit code, stdout and stderr', async () => {
    const r = await conn.exec('echo out; echo err >&2; exit 3')
    assert.deepEqual(r, { code: 3, stdout: 'out\n', stderr: 'err\n' })
  })

  it('feeds stdin and runs under LC_ALL=C', async () => {
    const r = await conn.exec('cat; echo "$LC_ALL"', { stdin: 'from stdin\n' })
    assert.equal(r.stdout, 'from stdin\nC\n')
  })

  it('runs many commands at once on the one connection (more than sshd MaxSessions)', async () => {
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => conn.exec(`echo ${i}`)))
    assert.deepEqual(
      results.map((r) => r.stdout),
      Array.from({ length: 25 }, (_, i) => `${i}\n`),
    )
  })

  it('quotes any string as one shell word', async () => {
    const tricky = `it's "quoted" $HOME \`x\` \\ ;|&`
    const r = await conn.exec(`printf %s ${shQuote(tricky)}`)
    assert.equal(r.stdout, tricky)
  })

  it('masks secrets in command output', async () => {
    const r = await conn.exec(`echo ${token.reveal()}; echo ${token.reveal()} >&2`)
    assert.equal(r.stdout, '***\n')
    assert.equal(r.stderr, '***\n')
  })

  it('fails a command that runs too long with a command error', async () => {
    await assert.rejects(conn.exec('sleep 5', { timeoutMs: 200 }), (err: unknown) => {
      assert.ok(err instanceof SshError)
      assert.equal(err.kind, 'command')
      assert.match(err.message, /timed out after 0.2s/)
      assert.equal(isUnreachable(err), false)
      return true
    })
  })

  it('reads remote files and reports missing ones as undefined', async () => {
    assert.equal((await readRemote(conn, '/etc/hostname'))?.length! > 0, true)
    assert.equal(await readRemote(conn, `${sshd.dir}/does-not-exist`), undefined)
  })

  it('fails commands after the connection is gone with a connection error', async () => {
    const other = await connect(targetOf(sshd), trustingOptions(sshd))
    await other.close()
    await assert.rejects(other.exec('true'), (err: unknown) => err instanceof SshError && err.kind === 'connection')
  })
})

describe('keepalive', () => {
  let sshd: Sshd
  const frozen: number[] = []
  before(async () => {
    sshd = await startSshd()
  })
  after(async () => {
    for (const pid of frozen) process.kill(pid, 'SIGCONT')
    await sshd?.stop()
  })

  it('detects a peer that stopped answering and fails the running command as connection', async () => {
    const conn = await connect(targetOf(sshd), trustingOptions(sshd, { keepaliveIntervalMs: 200 }))
    assert.equal((await conn.exec('true')).code, 0)
    // Freeze the sshd processes serving this connection: the TCP connection stays open but nothing answers.
    const children = execFileSync('pgrep', ['-P', String(sshd.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
    for (const pid of children.map(Number)) {
      process.kill(pid, 'SIGSTOP')
      frozen.push(pid)
    }
    await assert.rejects(conn.exec('sleep 60'), (err: unknown) => err instanceof SshError && err.kind === 'connection')
    await assert.rejects(conn.exec('true'), /connection lost \(Keepalive timeout\)/)
    await conn.close()
  })
})
