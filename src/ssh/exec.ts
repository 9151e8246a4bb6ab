import type { Client } from 'ssh2'
import type { Secret } from '../secret.js'
import { SshError } from './errors.js'

/** Quotes `s` as one POSIX shell word. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/** Raw result of one remote command. */
export interface RawResult {
  code: number
  stdout: Buffer
  stderr: Buffer
}

/** Hears a command's output as it arrives (a batch reports each of its steps as it ends). */
export interface OutputListener {
  stdout(data: Buffer): void
  stderr(data: Buffer): void
  /** The command runs again from the start (sudo asked for its password first): forget what was heard. */
  restart(): void
}

/** Runs `command` on one new channel; rejects with an SshError when the channel or connection fails. */
export function runChannel(
  client: Client,
  where: string,
  command: string,
  stdin: Buffer | undefined,
  timeoutMs: number | undefined,
  listener?: OutputListener,
): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const fail = (message: string, kind: 'command' | 'connection' = 'connection') =>
      reject(new SshError(kind, where, `${where}: ${message}`))
    try {
      client.exec(command, (err, stream) => {
        if (err) return fail(`cannot open a channel: ${err.message}`)
        const stdout: Buffer[] = []
        const stderr: Buffer[] = []
        let code: number | undefined
        let signal: string | undefined
        const timer = timeoutMs
          ? setTimeout(() => {
              stream.close()
              fail(`command timed out after ${timeoutMs / 1000}s`, 'command')
            }, timeoutMs)
          : undefined
        stream.on('data', (d: Buffer) => {
          stdout.push(d)
          listener?.stdout(d)
        })
        stream.stderr.on('data', (d: Buffer) => {
          stderr.push(d)
          listener?.stderr(d)
        })
        stream.on('exit', (c: number | null, s?: string) => {
          code = c ?? undefined
          signal = s
        })
        stream.on('close', () => {
          clearTimeout(timer)
          if (code === undefined && signal) return fail(`command killed by signal ${signal}`, 'command')
          if (code === undefined) return fail('connection lost while a command was running')
          resolve({ code, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) })
        })
        stream.end(stdin)
      })
    } catch (err) {
      fail(`not connected (${(err as Error).message})`)
    }
  })
}

/** How sudo behaves for this login user, learned on first use. */
export type SudoMode = 'unknown' | 'nopasswd' | 'password'

const SUDO_WANTS_PASSWORD = /^sudo: (a password is required|a terminal is required)/m
export const SUDO_WRONG_PASSWORD = /^sudo: .*incorrect password attempt|^Sorry, try again/m
const SUDO_MISSING = /sudo: (command )?not found|sudo: No such file/
const SUDO_REFUSED = /^(sudo: .*(not in the sudoers|may not run sudo)|.* is not in the sudoers file)/m

/** `script` as root via sudo: `-n` (NOPASSWD), or `-k -S` reading the password as the first line of stdin. */
export function sudoCommand(script: string, mode: SudoMode): string {
  const flags = mode === 'password' ? "-k -S -p ''" : '-n'
  return `sudo ${flags} -- sh -c ${shQuote(script)}`
}

/** Turns sudo's own refusals into errors; returns the next mode when sudo asked for a password and one is available. */
export function checkSudo(result: RawResult, mode: SudoMode, where: string, password?: Secret): SudoMode | undefined {
  if (result.code === 0) return undefined
  const stderr = result.stderr.toString()
  if (result.code === 127 && SUDO_MISSING.test(stderr)) {
    throw new SshError(
      'command',
      where,
      `${where}: sudo is not installed on the VM: log in as root (user: root) or install sudo`,
    )
  }
  if (SUDO_REFUSED.test(stderr)) {
    throw new SshError('command', where, `${where}: sudo refused: the user may not run sudo`)
  }
  if (mode !== 'password' && SUDO_WANTS_PASSWORD.test(stderr)) {
    if (password) return 'password'
    throw new SshError('command', where, `${where}: sudo requires a password; pass --ask-become-pass`)
  }
  if (mode === 'password' && SUDO_WRONG_PASSWORD.test(stderr)) {
    throw new SshError('command', where, `${where}: sudo: incorrect password`)
  }
  return undefined
}
