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
}

/** One SSH connection to one VM for a whole run. Writes are atomic (temp file in the same directory, then rename). */
export interface Connection {
  readonly host: string
  exec(command: string, options?: ExecOptions): Promise<ExecResult>
  /** Atomic write of `content` to absolute `path` as root. */
  put(path: string, content: string | Buffer | Secret, options: PutOptions): Promise<void>
  close(): Promise<void>
}
