import { randomBytes } from 'node:crypto'
import { posix } from 'node:path'
import type { SFTPWrapper } from 'ssh2'
import { Secret } from '../secret.js'
import { SshError } from './errors.js'
import { shQuote, type RawResult } from './exec.js'
import { Limiter } from './limiter.js'
import type { ExecOptions, PutOptions } from './types.js'

/** What an upload needs of the connection it goes over. */
export interface UploadChannel {
  readonly where: string
  readonly isRoot: boolean
  readonly alive: boolean
  sftp(): Promise<SFTPWrapper>
  execRaw(script: string, options: ExecOptions): Promise<RawResult>
}

const CHUNK = 32 * 1024
// Writes in flight per upload (2 MiB, the window OpenSSH gives a session channel): at 80 ms RTT, 1 MiB in flight capped
// an upload at 12.5 MiB/s (bench/README.md, latency).
const WINDOW = 64
// Writes in flight across every upload of the process (8 MiB), shared by a fleet's VMs: a large package pushed to a
// hundred VMs at once does not hold a window of copied and encrypted chunks per VM.
const ALL_UPLOADS = new Limiter(256)
const STAGE_DIR = '.meshvm/stage'

class SftpSessionClosed extends Error {}

const sessionEnds = new WeakMap<SFTPWrapper, Promise<never>>()

/** Rejects when the SFTP session ends: ssh2 leaves requests in flight unanswered when the connection drops. */
function sessionEnd(sftp: SFTPWrapper): Promise<never> {
  let ended = sessionEnds.get(sftp)
  if (!ended) {
    ended = new Promise<never>((_, reject) => {
      sftp.once('close', () => reject(new SftpSessionClosed('SFTP session closed')))
      sftp.once('error', (err: Error) => reject(err))
    })
    ended.catch(() => undefined)
    sessionEnds.set(sftp, ended)
  }
  return ended
}

type Callback<T> = (err: Error | null | undefined, value: T) => void

function request<T>(fn: (cb: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))))
}

/** One SFTP request as a promise that also settles when the session dies. */
function call<T>(sftp: SFTPWrapper, fn: (cb: Callback<T>) => void): Promise<T> {
  return Promise.race([request(fn), sessionEnd(sftp)])
}

/** Writes `data` to a new file (0600) at `path` with pipelined SFTP writes. */
async function upload(sftp: SFTPWrapper, path: string, data: Buffer): Promise<void> {
  const handle = await call<Buffer>(sftp, (cb) => sftp.open(path, 'w', { mode: 0o600 }, cb))
  try {
    let next = 0
    const writer = async () => {
      while (next < data.length) {
        const offset = next
        next += CHUNK
        const length = Math.min(CHUNK, data.length - offset)
        await ALL_UPLOADS.run(() =>
          request<void>((cb) => sftp.write(handle, data, offset, length, offset, (err) => cb(err, undefined))),
        )
      }
    }
    await Promise.race([Promise.all(Array.from({ length: WINDOW }, writer)), sessionEnd(sftp)])
  } finally {
    // not awaited, one round trip less per file: every write was acknowledged, so the data is in the file, and the
    // rename that follows (on another channel) does not need the handle closed; a failed close changes nothing then
    void call<void>(sftp, (cb) => sftp.close(handle, (err) => cb(err, undefined))).catch(() => undefined)
  }
}

const stageDirs = new WeakMap<SFTPWrapper, Promise<string>>()

/** The login user's private staging directory (`~/.meshvm/stage`, 0700), created once per SFTP session. */
function stageDir(sftp: SFTPWrapper): Promise<string> {
  let dir = stageDirs.get(sftp)
  if (!dir) {
    dir = (async () => {
      for (const d of ['.meshvm', STAGE_DIR]) {
        await call<void>(sftp, (cb) => sftp.mkdir(d, { mode: 0o700 }, (err) => cb(undefined, void err)))
      }
      return call<string>(sftp, (cb) => sftp.realpath(STAGE_DIR, cb))
    })()
    stageDirs.set(sftp, dir)
  }
  return dir
}

function toBuffer(content: string | Buffer | Secret): Buffer {
  if (content instanceof Secret) return Buffer.from(content.reveal())
  return typeof content === 'string' ? Buffer.from(content) : content
}

/** Puts `data` over SFTP at `tmp` (logged in as root) or in the private staging dir; returns where it landed. */
async function stageOverSftp(conn: UploadChannel, path: string, tmp: string, data: Buffer): Promise<string> {
  const sftp = await conn.sftp()
  const staged = conn.isRoot ? tmp : posix.join(await stageDir(sftp), randomBytes(6).toString('hex'))
  try {
    await upload(sftp, staged, data)
  } catch (err) {
    await call<void>(sftp, (cb) => sftp.unlink(staged, (e) => cb(undefined, void e))).catch(() => undefined)
    const kind = conn.alive && !(err instanceof SftpSessionClosed) ? 'command' : 'connection'
    throw new SshError(kind, conn.where, `${conn.where}: upload of ${path} failed: ${(err as Error).message}`)
  }
  return staged
}

// Up to this size the content travels as the rename command's stdin: one exec (2 round trips) instead of SFTP's open,
// writes and close before it (and the SFTP session's start when nothing large is uploaded). Not on the command line:
// a token would show in `ps` there.
const INLINE_MAX = 256 * 1024
const INLINE_WRITE_FAILED = 74

/**
 * Atomic write as root: the content lands in `.<name>.meshvm-<random>` beside the target (from stdin when small, else
 * over SFTP directly when logged in as root, or via the private staging dir and `mv` under sudo), then owner, mode,
 * and one rename. Leftover temp files of an interrupted earlier write to the same path are removed in the same round
 * trip.
 */
export async function put(conn: UploadChannel, path: string, content: string | Buffer | Secret, options: PutOptions) {
  if (!path.startsWith('/')) {
    throw new SshError('command', conn.where, `${conn.where}: put needs an absolute path: ${path}`)
  }
  const data = toBuffer(content)
  const prefix = posix.join(posix.dirname(path), `.${posix.basename(path)}.meshvm-`)
  const tmp = prefix + randomBytes(6).toString('hex')
  const inline = data.length <= INLINE_MAX
  const staged = inline ? tmp : await stageOverSftp(conn, path, tmp, data)
  const q = shQuote
  const owner = `${options.owner ?? 'root'}:${options.group ?? ''}`
  const script = [
    // a rename when the home and the target share a filesystem (a copy otherwise): no second copy of a large package
    inline
      ? // a cut connection ends stdin early, and cat exits 0 on that EOF: only the whole content may be renamed
        `{ (umask 077 && cat > ${q(tmp)}) && [ "$(wc -c < ${q(tmp)})" -eq ${data.length} ] || (exit ${INLINE_WRITE_FAILED}); }`
      : conn.isRoot
        ? 'true'
        : `mv -f ${q(staged)} ${q(tmp)}`,
    `chown ${q(owner)} ${q(tmp)}`,
    `chmod ${options.mode.toString(8)} ${q(tmp)}`,
    `mv -f ${q(tmp)} ${q(path)}`,
  ].join(' && ')
  const cleanup = `rm -f ${q(staged)} ${q(prefix)}*`
  const r = await conn.execRaw(`${script}; rc=$?; ${cleanup}; exit $rc`, {
    sudo: true,
    stdin: inline ? data : undefined,
  })
  if (inline && r.code === INLINE_WRITE_FAILED) {
    const why = r.stderr.toString().trim() || 'the content arrived incomplete'
    throw new SshError(
      conn.alive ? 'command' : 'connection',
      conn.where,
      `${conn.where}: upload of ${path} failed: ${why}`,
    )
  }
  if (r.code !== 0) {
    throw new SshError('command', conn.where, `${conn.where}: writing ${path} failed: ${r.stderr.toString().trim()}`)
  }
}
