// A batch over a real sshd: several changes in one command (one round trip), each op's result heard as the VM
// reports it, writes fed from stdin in order (also behind sudo's password line), the first failure ending the batch.
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { connect } from '../../src/ssh/connect.js'
import { setTimeout as sleep } from 'node:timers/promises'
import { Secret } from '../../src/secret.js'
import type { OpResult } from '../../src/ssh/types.js'
import { createUser, startSshd, type Sshd } from '../support/sshd.js'
import { targetOf, trustingOptions } from './helpers.js'

describe('batches of changes in one command', () => {
  let sshd: Sshd
  let dir: string
  const password = 'batch-sudo-pass'
  const user = createUser(`mvt-bt-${process.pid}`, { password })

  before(async () => {
    sshd = await startSshd({ config: ['PasswordAuthentication yes'] })
    dir = join(sshd.dir, 'batch')
    mkdirSync(dir)
  })
  after(async () => {
    await sshd?.stop()
    user.remove()
  })

  /** Commands the server started so far, as its log says (LogLevel VERBOSE: "Starting session: command ..."). */
  const commands = async () => {
    await sleep(300) // sshd's log reaches us through a pipe
    return (sshd.log().match(/Starting session: command/g) ?? []).length
  }

  it('runs writes and commands in order in one exec; a command reading stdin does not eat a later write', async () => {
    const conn = await connect(targetOf(sshd), trustingOptions(sshd))
    try {
      const before = await commands()
      const heard: [number, number][] = []
      const results = await conn.batch(
        [
          { put: join(dir, 'a.env'), content: 'A=1\n', mode: 0o640, owner: 'nobody' },
          { run: `cat; echo "read $(wc -c)"; mkdir -p ${dir}/sub`, what: 'greedy' },
          { put: join(dir, 'sub/token'), content: new Secret('tok-en'), mode: 0o600 },
          { run: 'sleep 1; echo done', what: 'slow' },
        ],
        (i) => heard.push([i, Date.now()]),
      )
      assert.equal((await commands()) - before, 1, 'one command for the whole batch')
      assert.deepEqual(
        results.map((r) => [r.code, r.stdout]),
        [
          [0, ''],
          [0, 'read 0\n'],
          [0, ''],
          [0, 'done\n'],
        ],
      )
      assert.equal(readFileSync(join(dir, 'a.env'), 'utf8'), 'A=1\n')
      assert.equal(statSync(join(dir, 'a.env')).uid, 65534)
      assert.equal(readFileSync(join(dir, 'sub/token'), 'utf8'), 'tok-en')
      assert.equal(statSync(join(dir, 'sub/token')).mode & 0o777, 0o600)
      // the first three ops were heard while the last one still slept
      assert.deepEqual(
        heard.map(([i]) => i),
        [0, 1, 2, 3],
      )
      assert.ok(heard[3]![1] - heard[2]![1] >= 900, `op 3 heard ${heard[3]![1] - heard[2]![1]} ms after op 2`)
      assert.ok(results[3]!.ms >= 900)
    } finally {
      await conn.close()
    }
  })

  it('prepare opens the SFTP session for a large write ahead of its batch, which then uses it', async () => {
    const conn = await connect(targetOf(sshd), trustingOptions(sshd))
    const sftps = () => (sshd.log().match(/Starting session: subsystem 'sftp'/g) ?? []).length
    try {
      const large = { put: join(dir, 'ahead.deb'), content: Buffer.alloc(400_000, 7), mode: 0o644 }
      const before = sftps()
      conn.prepare?.([large])
      await conn.batch([{ run: 'sleep 0.5', what: 'earlier work' }])
      await sleep(300)
      assert.equal(sftps() - before, 1, 'opened before the batch that needs it')
      const [r] = await conn.batch([large])
      assert.equal(r?.code, 0)
      assert.ok(readFileSync(join(dir, 'ahead.deb')).equals(large.content))
      await sleep(300)
      assert.equal(sftps() - before, 1, 'and used by it, not opened again')
    } finally {
      await conn.close()
    }
  })

  it('stops at the first failing op: nothing after it runs, and the failure says what and why', async () => {
    const conn = await connect(targetOf(sshd), trustingOptions(sshd))
    try {
      const results: OpResult[] = await conn.batch([
        { run: `mkdir -p ${dir}/ok`, what: 'first' },
        { run: 'echo no space left >&2; exit 28', what: 'filling the disk' },
        { put: join(dir, 'never'), content: 'x', mode: 0o644 },
      ])
      assert.equal(results.length, 2)
      assert.equal(results[1]!.failure, 'filling the disk failed (exit 28): no space left')
      assert.equal(existsSync(join(dir, 'ok')), true)
      assert.equal(existsSync(join(dir, 'never')), false)
      assert.deepEqual(
        readdirSync(dir).filter((f) => f.includes('.meshvm-')),
        [],
      )
    } finally {
      await conn.close()
    }
  })

  it('behind sudo with a password: small and large writes land whole, the password is no write and never shown', async () => {
    const conn = await connect(
      targetOf(sshd, user.name),
      trustingOptions(sshd, { becomePassword: new Secret(password) }),
    )
    try {
      const large = Buffer.from(Array.from({ length: 600_000 }, (_, i) => (i * 13) % 256))
      const results = await conn.batch([
        { put: join(dir, 'small'), content: 'small content\n', mode: 0o644 },
        { put: join(dir, 'large.deb'), content: large, mode: 0o644 },
        { run: `id -un; echo ${password}`, what: 'who' },
      ])
      assert.deepEqual(
        results.map((r) => r.code),
        [0, 0, 0],
      )
      assert.equal(readFileSync(join(dir, 'small'), 'utf8'), 'small content\n')
      assert.ok(readFileSync(join(dir, 'large.deb')).equals(large))
      assert.equal(statSync(join(dir, 'large.deb')).uid, 0)
      assert.equal(results[2]!.stdout, 'root\n***\n')
    } finally {
      await conn.close()
    }
  })
})
