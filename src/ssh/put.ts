import { randomBytes } from 'node:crypto'
import { posix } from 'node:path'
import type { SFTPWrapper } from 'ssh2'
import { Secret } from '../secret.js'
import { SshError } from './errors.js'
import { shQuote } from './exec.js'
import { Limiter } from './limiter.js'
import type { PutOptions } from './types.js'

/** What an upload needs of the connection it goes over. */
export interface UploadChannel {
  readonly where: string
  readonly isRoot: boolean
  readonly alive: boolean
  /** No other meshvm run uses the VM meanwhile (it holds the VM lock). */
  readonly holdsVmLock: boolean
  sftp(): Promise<SFTPWrapper>
}

const CHUNK = 32 * 1024
// Writes in flight per upload (2 MiB, the window OpenSSH gives a session channel): at 80 ms RTT, 1 MiB in flight capped
// an upload at 12.5 MiB/s (bench/README.md, latency).
const WINDOW = 64
// Writes in flight across every upload of the process (8 MiB), shared by a fleet's VMs: a large package pushed to a
// hundred VMs at once does not hold a window of copied and encrypted chunks per VM.
const ALL_UPLOADS = new Limiter(256)
const STAGE_DIR = '.meshvm/stage'
// SSH_FX_NO_SUCH_FILE (draft-ietf-secsh-filexfer-02), as ssh2 reports it in an error's `code`
const NO_SUCH_FILE = 2
/** Held (flock) around every compare-and-swap rename on the VM, so two writers cannot both pass the comparison. */
export const EDIT_LOCK = '/run/lock/meshvm-edit.lock'
/** The exit code of a compare-and-swap write that found the file changed since it was read (nothing written). */
export const CONTENT_CHANGED = 75
const LOCK_WAIT_S = 30

/** `mv -f tmp path` only while `path` still has the sha256 `want` (or is absent), under EDIT_LOCK. */
function swapIfUnchanged(tmp: string, path: string, want: string): string {
  const q = shQuote
  const now = `now=$(if [ -e ${q(path)} ]; then sha256sum < ${q(path)} | cut -c1-64; else echo absent; fi)`
  const body = `${now}; [ "$now" = ${q(want)} ] || exit ${CONTENT_CHANGED}; mv -f ${q(tmp)} ${q(path)}`
  return `mkdir -p /run/lock && flock -w ${LOCK_WAIT_S} ${q(EDIT_LOCK)} sh -c ${q(body)}`
}

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

/** Writes `data` to a new file (0600) at `path` with pipelined SFTP writes; `sent` hears the bytes acknowledged. */
async function upload(sftp: SFTPWrapper, path: string, data: Buffer, sent?: (bytes: number) => void): Promise<void> {
  const handle = await call<Buffer>(sftp, (cb) => sftp.open(path, 'w', { mode: 0o600 }, cb))
  try {
    let next = 0
    let acknowledged = 0
    const writer = async () => {
      while (next < data.length) {
        const offset = next
        next += CHUNK
        const length = Math.min(CHUNK, data.length - offset)
        await ALL_UPLOADS.run(() =>
          request<void>((cb) => sftp.write(handle, data, offset, length, offset, (err) => cb(err, undefined))),
        )
        sent?.((acknowledged += length))
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
// a stage file this old belongs to no upload still running, even without the VM lock
const STALE_STAGE_S = 3600

/**
 * The login user's private staging directory (`~/.meshvm/stage`, 0700), created once per SFTP session: both mkdirs
 * and the realpath go out at once (the server answers SFTP requests in order), one round trip. Leftovers of cut
 * uploads are removed then: all of them while this connection holds the VM lock (no other run uploads), else those
 * untouched for an hour.
 */
function stageDir(sftp: SFTPWrapper, conn: UploadChannel): Promise<string> {
  let dir = stageDirs.get(sftp)
  if (!dir) {
    // a mkdir fails when the directory exists too: its error tells only when the directory is not there after it
    const mkdir = (d: string) =>
      call<Error | undefined>(sftp, (cb) => sftp.mkdir(d, { mode: 0o700 }, (err) => cb(undefined, err ?? undefined)))
    const made = Promise.all(['.meshvm', STAGE_DIR].map(mkdir))
    const real = call<string>(sftp, (cb) => sftp.realpath(STAGE_DIR, cb))
    dir = (async () => {
      const errors = await made
      const path = await real.catch((err: Error) => Promise.reject(errors.at(-1) ?? err))
      const entries = await call<{ filename: string; attrs: { mtime: number } }[]>(sftp, (cb) => sftp.readdir(path, cb))
      const cutoff = Date.now() / 1000 - STALE_STAGE_S
      for (const e of entries.filter((e) => conn.holdsVmLock || e.attrs.mtime < cutoff)) {
        await call<void>(sftp, (cb) => sftp.unlink(posix.join(path, e.filename), (err) => cb(undefined, void err)))
      }
      return path
    })().catch((err: Error) => {
      stageDirs.delete(sftp) // a later upload tries again (the disk may have room by then)
      throw new Error(`staging dir ~/${STAGE_DIR}: ${err.message}`)
    })
    stageDirs.set(sftp, dir)
  }
  return dir
}

/**
 * Opens the SFTP session and, for a login that is not root, the staging dir, without uploading anything: a batch
 * about to stage a large write finds them ready (4 round trips, taken while earlier work runs).
 */
export function warmStaging(conn: UploadChannel): void {
  const ready = conn.sftp().then((sftp) => (conn.isRoot ? undefined : stageDir(sftp, conn)))
  ready.catch(() => undefined) // the upload itself reports any failure
}

export function contentBytes(content: string | Buffer | Secret): Buffer {
  if (content instanceof Secret) return Buffer.from(content.reveal())
  return typeof content === 'string' ? Buffer.from(content) : content
}

/**
 * Puts `data` over SFTP where the write's script renames it from: straight at `tmp` beside the target when logged in
 * as root and the target's directory exists, else in the private staging dir. Returns where it landed.
 */
export async function stageOverSftp(
  conn: UploadChannel,
  path: string,
  tmp: string,
  data: Buffer,
  sent?: (bytes: number) => void,
): Promise<string> {
  const sftp = await conn.sftp()
  const attempt = async (at: string) => {
    try {
      await upload(sftp, at, data, sent)
      return at
    } catch (err) {
      await call<void>(sftp, (cb) => sftp.unlink(at, (e) => cb(undefined, void e))).catch(() => undefined)
      throw err
    }
  }
  const inStage = async () => attempt(posix.join(await stageDir(sftp, conn), randomBytes(6).toString('hex')))
  try {
    if (!conn.isRoot) return await inStage()
    // the target's directory may not exist yet: a batch can create it in the command that renames the file into it
    return await attempt(tmp).catch((e: { code?: unknown }) =>
      e.code === NO_SUCH_FILE ? inStage() : Promise.reject(e),
    )
  } catch (err) {
    const kind = conn.alive && !(err instanceof SftpSessionClosed) ? 'command' : 'connection'
    throw new SshError(kind, conn.where, `${conn.where}: upload of ${path} failed: ${(err as Error).message}`)
  }
}

// Up to this size the content travels as the write command's stdin: one exec (2 round trips) instead of SFTP's open,
// writes and close before it (and the SFTP session's start when nothing large is uploaded). Not on the command line:
// a token would show in `ps` there.
export const INLINE_MAX = 256 * 1024
export const INLINE_WRITE_FAILED = 74

/** The temp name beside `path` a write goes through, and the prefix that finds leftovers of interrupted writes. */
export function tempFor(path: string): { tmp: string; prefix: string } {
  const prefix = posix.join(posix.dirname(path), `.${posix.basename(path)}.meshvm-`)
  return { tmp: prefix + randomBytes(6).toString('hex'), prefix }
}

/**
 * The shell of an atomic write as root: the content lands in `tmp` (exactly `size` bytes from stdin, or moved from
 * where it was staged), then owner, mode, and one rename. Leftover temp files of an interrupted earlier write to the
 * same path are removed in the same command.
 */
export function writeScript(
  path: string,
  from: { stdin: number } | { staged: string },
  tmp: string,
  prefix: string,
  options: PutOptions,
): string {
  const q = shQuote
  const owner = `${options.owner ?? 'root'}:${options.group ?? ''}`
  const script = [
    'stdin' in from
      ? // a cut connection ends stdin early and head exits 0 on that EOF: only the whole content may be renamed.
        // head -c reads no byte past its count (GNU coreutils), so writes after it in a batch get their own bytes.
        `{ (umask 077 && head -c ${from.stdin} > ${q(tmp)}) && [ "$(wc -c < ${q(tmp)})" -eq ${from.stdin} ] || (exit ${INLINE_WRITE_FAILED}); }`
      : // a rename when the home and the target share a filesystem (a copy otherwise): no second copy of a package
        from.staged === tmp
        ? 'true'
        : `mv -f ${q(from.staged)} ${q(tmp)}`,
    `chown ${q(owner)} ${q(tmp)}`,
    `chmod ${options.mode.toString(8)} ${q(tmp)}`,
    options.ifContent === undefined ? `mv -f ${q(tmp)} ${q(path)}` : swapIfUnchanged(tmp, path, options.ifContent),
  ].join(' && ')
  const staged = 'staged' in from ? `${q(from.staged)} ` : ''
  return `${script}; rc=$?; rm -f ${staged}${q(prefix)}*; exit $rc`
}
