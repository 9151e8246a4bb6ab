import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { connect } from '../../src/ssh/connect.js'
import type { SshConnection } from '../../src/ssh/connection.js'
import { SshError } from '../../src/ssh/errors.js'
import type { Connection } from '../../src/ssh/types.js'
import { Secret } from '../../src/secret.js'
import { startSshd, type Sshd } from '../support/sshd.js'
import { targetOf, trustingOptions, readRemote } from './helpers.js'

const tempFiles = (dir: string) => readdirSync(dir).filter((f) => f.includes('.meshvm-'))

describe('atomic put as root', () => {
  let sshd: Sshd
  let conn: Connection
  let dir: string

  before(async () => {
    sshd = await startSshd()
    conn = await connect(targetOf(sshd), trustingOptions(sshd))
    dir = join(sshd.dir, 'target')
    mkdirSync(dir)
  })
  after(async () => {
    await conn?.close()
    await sshd?.stop()
  })

  it('writes content with the requested mode and owner, leaving no temp file', async () => {
    const path = join(dir, 'cluster.env')
    await conn.put(path, 'A=1\n', { mode: 0o640, owner: 'nobody', group: 'nogroup' })
    assert.equal(readFileSync(path, 'utf8'), 'A=1\n')
    const st = statSync(path)
    assert.equal(st.mode & 0o7777, 0o640)
    assert.equal(st.uid, 65534)
    assert.deepEqual(tempFiles(dir), [])
  })

  it('replaces an existing file and writes Secret and binary content exactly', async () => {
    const path = join(dir, 'istio-token')
    writeFileSync(path, 'old')
    await conn.put(path, new Secret('the-token'), { mode: 0o600 })
    assert.equal(readFileSync(path, 'utf8'), 'the-token')
    assert.equal(statSync(path).uid, 0)
    const binary = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7) % 256))
    await conn.put(path, binary, { mode: 0o644 })
    assert.ok(readFileSync(path).equals(binary))
    assert.deepEqual(await readRemote(conn, path), binary)
  })

  it('fails clearly when the target directory does not exist', async () => {
    await assert.rejects(
      conn.put(join(dir, 'missing', 'f'), 'x', { mode: 0o644 }),
      (err: unknown) =>
        err instanceof SshError && err.kind === 'command' && /upload of .*missing\/f failed/.test(err.message),
    )
  })

  it('a cut connection during an upload leaves the old target intact; the next put removes the leftover', async () => {
    const path = join(dir, 'big.deb')
    writeFileSync(path, 'old content')
    const victim = (await connect(targetOf(sshd), trustingOptions(sshd))) as SshConnection
    const upload = victim.put(path, Buffer.alloc(256 * 1024 * 1024, 1), { mode: 0o644 })
    upload.catch(() => undefined)
    for (let i = 0; i < 200 && tempFiles(dir).length === 0; i++) await sleep(25)
    assert.equal(tempFiles(dir).length, 1, 'upload started')
    victim.vm.destroy()
    await assert.rejects(upload, (err: unknown) => err instanceof SshError && err.kind === 'connection')
    assert.equal(readFileSync(path, 'utf8'), 'old content')
    await conn.put(path, 'new content', { mode: 0o644 })
    assert.equal(readFileSync(path, 'utf8'), 'new content')
    assert.deepEqual(tempFiles(dir), [])
    assert.equal(existsSync(path), true)
  })
})
