import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { runBatch, type BatchChannel } from '../../src/ssh/batch.js'
import type { OutputListener, RawResult } from '../../src/ssh/exec.js'
import { SshError } from '../../src/ssh/errors.js'
import type { Secret } from '../../src/secret.js'
import type {
  Connection,
  ExecOptions,
  ExecResult,
  OpResult,
  ProgressListener,
  PutOptions,
  RemoteOp,
} from '../../src/ssh/types.js'

/**
 * A Connection to this machine: commands run in `sh -c` as the test's user (root here), batches and writes through
 * the same script as over SSH (src/ssh/batch.ts). Tests point their playbooks at a temp directory, so the real step
 * snippets and write scripts run against real files. `execs` holds every command sent: one per round trip.
 */
export class LocalConnection implements Connection {
  execs: string[] = []
  puts: string[] = []
  /** The ops announced ahead of their batch (prepare). */
  prepared: RemoteOp[][] = []
  closed = false
  constructor(readonly host: string) {}

  #raw(command: string, options: ExecOptions = {}, listener?: OutputListener): Promise<RawResult> {
    this.execs.push(command)
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] })
      const out: Buffer[] = []
      const err: Buffer[] = []
      child.stdout.on('data', (d: Buffer) => (out.push(d), listener?.stdout(d)))
      child.stderr.on('data', (d: Buffer) => (err.push(d), listener?.stderr(d)))
      child.on('error', reject)
      child.stdin.on('error', () => {}) // the command may exit without reading stdin
      child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }))
      child.stdin.end(options.stdin ?? '')
    })
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.#raw(command, options)
    return { code: r.code, stdout: r.stdout.toString(), stderr: r.stderr.toString() }
  }

  get channel(): BatchChannel {
    return {
      where: this.host,
      alive: true,
      execRaw: (script, options, listener) => this.#raw(script, options, listener),
      stage: async (_path, tmp, data, sent) => (await writeFile(tmp, data, { mode: 0o600 }), sent?.(data.length), tmp),
      mask: (text) => text,
    }
  }

  batch(
    ops: RemoteOp[],
    each?: (index: number, result: OpResult) => void,
    progress?: ProgressListener,
  ): Promise<OpResult[]> {
    for (const op of ops) if ('put' in op) this.puts.push(op.put)
    return runBatch(this.channel, ops, each, progress)
  }

  prepare(ops: RemoteOp[]): void {
    this.prepared.push(ops)
  }

  async put(path: string, content: string | Buffer | Secret, options: PutOptions): Promise<void> {
    const [r] = await this.batch([{ put: path, content, ...options }])
    if (r?.failure) throw new SshError('command', this.host, r.failure)
  }

  async close(): Promise<void> {
    this.closed = true
  }
}
