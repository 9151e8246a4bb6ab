import type { Secret } from '../secret.js'

export type SshErrorKind = 'auth' | 'hostkey' | 'timeout' | 'connection' | 'command'

export interface ExecResult {
  code: number
  stdout: string
  stderr: string
}

export interface ExecOptions {
  /** Run as root (via sudo when the login user is not root). */
  sudo?: boolean
  stdin?: string | Buffer
  timeoutMs?: number
}

export interface PutOptions {
  mode: number
  owner?: string
  group?: string
  /**
   * Compare-and-swap: replace `path` only if its sha256 is still this (`absent`: only if it does not exist), checked
   * under the VM's edit lock in the same command as the rename; otherwise nothing is written and the write exits
   * CONTENT_CHANGED (put.ts).
   */
  ifContent?: string
}

/**
 * Shell run as root in a batch; exit 0 is success. While it runs it may call `meshvm_progress TEXT` (defined by the
 * batch) to report one line of progress before it ends.
 */
export interface RunOp {
  run: string
  /** What it does, for a failure's message ("chown -R istio-proxy"). */
  what: string
  timeoutMs?: number
  /** Words a failure from the op's output (default: `what`, the exit code and the output's last lines). */
  failure?(result: OpResult): string
}

/** An atomic write as root in a batch (temp file beside `put`, owner, mode, one rename). */
export interface PutOp extends PutOptions {
  put: string
  content: string | Buffer | Secret
}

/** One thing a batch does on the VM. */
export type RemoteOp = RunOp | PutOp

/** How one op of a batch ended; output masked. */
export interface OpResult {
  code: number
  stdout: string
  stderr: string
  /** From the end of the op before it (or the batch's start) to its own end, as the controller saw it. */
  ms: number
  /** Set when it failed: why, in words. */
  failure?: string
}

/** What a running op reports before it ends: a line it gave `meshvm_progress`, or the bytes of its large write sent so far. */
export type OpProgress = { line: string } | { bytes: number; total: number }

/** Hears the progress of a batch's op `index` while it runs. */
export type ProgressListener = (index: number, progress: OpProgress) => void

/** One SSH connection to one VM for a whole run. Writes are atomic (temp file in the same directory, then rename). */
export interface Connection {
  readonly host: string
  exec(command: string, options?: ExecOptions): Promise<ExecResult>
  /** Atomic write of `content` to absolute `path` as root. */
  put(path: string, content: string | Buffer | Secret, options: PutOptions): Promise<void>
  /**
   * Runs `ops` in order as root in one command (one round trip; large writes are staged over SFTP first), stopping
   * after the first that fails. `each` hears every op's result the moment the VM reports it, `progress` what a running
   * op reports before it ends (on the same command's output: no round trip of its own). Rejects only when the
   * connection (or the command as a whole: a timeout) fails.
   */
  batch(
    ops: RemoteOp[],
    each?: (index: number, result: OpResult) => void,
    progress?: ProgressListener,
  ): Promise<OpResult[]>
  /** These ops go in a later batch: the connection may start now what they will need (an SFTP session). */
  prepare?(ops: RemoteOp[]): void
  close(): Promise<void>
}
