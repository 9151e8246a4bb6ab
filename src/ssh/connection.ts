import type { Client, ClientChannel, SFTPWrapper } from 'ssh2'
import { maskSecrets, type Secret } from '../secret.js'
import { SshError } from './errors.js'
import { runBatch, staged, type BatchChannel } from './batch.js'
import {
  checkSudo,
  runChannel,
  shQuote,
  sudoCommand,
  type OutputListener,
  type RawResult,
  type SudoMode,
} from './exec.js'
import { Limiter } from './limiter.js'
import { stageOverSftp, warmStaging, type UploadChannel } from './put.js'
import type { Hop } from './resolve.js'
import type { Connection, ExecOptions, ExecResult, OpResult, ProgressListener, PutOptions, RemoteOp } from './types.js'

// Two below sshd's default MaxSessions (10): the SFTP session and the VM lock take the last channels.
const MAX_CHANNELS = 8
const CLOSE_WAIT_MS = 2000

/** A live connection to one VM (through its jump hosts); implements Connection. */
export class SshConnection implements Connection, UploadChannel, BatchChannel {
  readonly isRoot: boolean
  readonly where: string
  readonly #channels = new Limiter(MAX_CHANNELS)
  #sudoMode: SudoMode = 'unknown'
  #sftp: Promise<SFTPWrapper> | undefined
  #lost: string | undefined
  /** This connection holds the VM's meshvm lock: no other meshvm run uses the VM meanwhile. */
  holdsVmLock = false
  readonly #beforeClose: Array<() => Promise<void>> = []
  readonly #closed = new Set<Client>()

  constructor(
    readonly host: string,
    hop: Hop,
    /** Jump hosts first, the VM last. */
    readonly clients: Client[],
    readonly secrets: Secret[],
    readonly becomePassword?: Secret,
  ) {
    this.isRoot = hop.user === 'root'
    this.where = hop.where
    for (const client of clients) {
      client.on('error', (err: Error) => (this.#lost ??= err.message))
      client.on('close', () => {
        this.#closed.add(client)
        this.#lost ??= 'connection closed'
      })
    }
  }

  get alive(): boolean {
    return this.#lost === undefined
  }

  mask(text: string): string {
    return maskSecrets(text, this.secrets)
  }

  #run(command: string, stdin: Buffer | undefined, timeoutMs?: number, listener?: OutputListener): Promise<RawResult> {
    if (this.#lost) throw new SshError('connection', this.where, `${this.where}: connection lost (${this.#lost})`)
    return this.#channels.run(() => runChannel(this.vm, this.where, command, stdin, timeoutMs, listener))
  }

  get vm(): Client {
    return this.clients[this.clients.length - 1]
  }

  /** Runs `script` with sh under LC_ALL=C, as root when `sudo` is set; output is raw (not masked). */
  async execRaw(script: string, options: ExecOptions = {}, listener?: OutputListener): Promise<RawResult> {
    const full = `LC_ALL=C; export LC_ALL\n${script}`
    const stdin = typeof options.stdin === 'string' ? Buffer.from(options.stdin) : options.stdin
    if (!options.sudo || this.isRoot) return this.#run(`sh -c ${shQuote(full)}`, stdin, options.timeoutMs, listener)
    const first = await this.#sudo(full, stdin, options.timeoutMs, listener)
    if (first) return first
    // sudo asked for the password before running anything, so running the script again is safe.
    listener?.restart()
    return (await this.#sudo(full, stdin, options.timeoutMs, listener))!
  }

  /** One sudo attempt; undefined when sudo wants the become password (the mode is now 'password'). */
  async #sudo(
    script: string,
    stdin: Buffer | undefined,
    timeoutMs?: number,
    listener?: OutputListener,
  ): Promise<RawResult | undefined> {
    const mode = this.#sudoMode
    const input = mode === 'password' ? Buffer.concat([this.#passwordLine(), stdin ?? Buffer.alloc(0)]) : stdin
    const result = await this.#run(sudoCommand(script, mode), input, timeoutMs, listener)
    const next = checkSudo(result, mode, this.where, this.becomePassword)
    if (next) {
      this.#sudoMode = next
      return undefined
    }
    if (mode === 'unknown' && result.code === 0) this.#sudoMode = 'nopasswd'
    return result
  }

  /**
   * Runs `script` as root on a channel of its own whose stdin stays open until the connection closes (a lock held
   * while connected), with sudo as this connection last found it (see `sudoAgain`). `exitCode` is listened for at
   * once: a command that ends at once (sudo refusing) can exit in the same packet as the channel's confirmation.
   */
  async spawnHeld(script: string): Promise<{ channel: ClientChannel; exitCode: Promise<number | undefined> }> {
    const full = `LC_ALL=C; export LC_ALL\n${script}`
    const password = !this.isRoot && this.#sudoMode === 'password'
    const command = this.isRoot ? `sh -c ${shQuote(full)}` : sudoCommand(full, this.#sudoMode)
    if (this.#lost) throw new SshError('connection', this.where, `${this.where}: connection lost (${this.#lost})`)
    return new Promise((resolve, reject) => {
      this.vm.exec(command, (err, stream) => {
        if (err)
          return reject(new SshError('connection', this.where, `${this.where}: cannot open a channel: ${err.message}`))
        const exitCode = new Promise<number | undefined>((done) => {
          stream.once('exit', (code: number | null) => done(code ?? undefined))
          stream.once('close', () => done(undefined))
        })
        if (password) stream.write(this.#passwordLine())
        resolve({ channel: stream, exitCode })
      })
    })
  }

  /**
   * A held channel that ended at once: sudo's refusal becomes the usual clear error; true when sudo asked for the
   * password and there is one (open the channel again: it now sends it).
   */
  sudoAgain(result: RawResult): boolean {
    if (this.isRoot) return false
    const next = checkSudo(result, this.#sudoMode, this.where, this.becomePassword)
    if (next) this.#sudoMode = next
    return next !== undefined
  }

  /** `release` runs first when the connection is closed, while it can still carry what `release` sends. */
  beforeClose(release: () => Promise<void>): void {
    this.#beforeClose.push(release)
  }

  #passwordLine(): Buffer {
    return Buffer.from(`${this.becomePassword?.reveal() ?? ''}\n`)
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    try {
      const r = await this.execRaw(command, options)
      return { code: r.code, stdout: this.mask(r.stdout.toString()), stderr: this.mask(r.stderr.toString()) }
    } catch (err) {
      throw this.#masked(err)
    }
  }

  #masked(err: unknown): unknown {
    if (err instanceof SshError) return new SshError(err.kind, err.host, this.mask(err.message))
    return err
  }

  /** The connection's one SFTP session, opened on first use and reopened if it closed. */
  sftp(): Promise<SFTPWrapper> {
    this.#sftp ??= new Promise<SFTPWrapper>((resolve, reject) => {
      this.vm.sftp((err, sftp) => {
        if (err) {
          this.#sftp = undefined
          return reject(new SshError('connection', this.where, `${this.where}: cannot open SFTP: ${err.message}`))
        }
        sftp.on('close', () => (this.#sftp = undefined))
        resolve(sftp)
      })
    })
    return this.#sftp
  }

  stage(path: string, tmp: string, data: Buffer, sent?: (bytes: number) => void): Promise<string> {
    return stageOverSftp(this, path, tmp, data, sent)
  }

  async batch(
    ops: RemoteOp[],
    each?: (index: number, result: OpResult) => void,
    progress?: ProgressListener,
  ): Promise<OpResult[]> {
    return runBatch(this, ops, each, progress).catch((err: unknown) => Promise.reject(this.#masked(err)))
  }

  prepare(ops: RemoteOp[]): void {
    if (ops.some(staged)) warmStaging(this)
  }

  async put(path: string, content: string | Buffer | Secret, options: PutOptions): Promise<void> {
    const [r] = await this.batch([{ put: path, content, ...options }])
    if (r?.failure) throw new SshError('command', this.where, r.failure)
  }

  async close(): Promise<void> {
    // what holds the VM (its lock) lets go first, while the connection still carries the release
    for (const release of this.#beforeClose.splice(0)) await release()
    for (const client of [...this.clients].reverse()) {
      if (this.#closed.has(client)) continue
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
      client.end()
      await Promise.race([closed, new Promise<void>((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())])
    }
  }
}
