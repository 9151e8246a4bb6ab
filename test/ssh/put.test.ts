import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { connect } from '../../src/ssh/connect.js'
import type { SshConnection } from '../../src/ssh/connection.js'
import { SshError } from '../../src/ssh/errors.js'
import type { Connection } from '../../src/ssh/types.js'
import { runBatch, type BatchChannel } from '../../src/ssh/batch.js'
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

// The inline path (content as the batch's stdin) run by a real sh on this machine, with stdin cut short as a
// dropped connection cuts it: the old file must stay.
describe('atomic put of a small file from stdin', () => {
  const channel = (cutAt?: number): BatchChannel => ({
    where: 'local',
    alive: true,
    stage: () => Promise.reject(new Error('no staging for small files')),
    mask: (text) => text,
    execRaw: (script, options) =>
      new Promise((resolve) => {
        const child = spawn('sh', ['-c', script])
        const out: Buffer[] = []
        const err: Buffer[] = []
        child.stdout.on('data', (d: Buffer) => out.push(d))
        child.stderr.on('data', (d: Buffer) => err.push(d))
        child.on('close', (code) =>
          resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }),
        )
        const input = options.stdin as Buffer
        child.stdin.end(cutAt === undefined ? input : input.subarray(0, cutAt))
      }),
  })

  it('writes the whole content, and refuses to rename a cut one over the old file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshvm-put-inline-'))
    try {
      const path = join(dir, 'cluster.env')
      writeFileSync(path, 'old\n')
      const content = 'ISTIO_SERVICE_CIDR=10.96.0.0/12\n'.repeat(100)
      const [ok] = await runBatch(channel(), [{ put: path, content, mode: 0o640 }])
      assert.equal(ok?.failure, undefined)
      assert.equal(readFileSync(path, 'utf8'), content)
      assert.equal(statSync(path).mode & 0o7777, 0o640)
      const [cut] = await runBatch(channel(1000), [{ put: path, content: 'X'.repeat(3000), mode: 0o640 }])
      assert.match(cut?.failure ?? '', /upload of .*cluster\.env failed: the content arrived incomplete/)
      assert.equal(readFileSync(path, 'utf8'), content, 'the old file stays')
      assert.deepEqual(tempFiles(dir), [])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
