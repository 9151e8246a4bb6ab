// ProxyCommand as ssh runs it (sshconnect.c ssh_proxy_connect): `$SHELL -c "exec COMMAND"`, its stdin and stdout
// the transport; its stderr is kept for the error message instead of reaching the user's terminal.
import { spawn } from 'node:child_process'
import { Duplex } from 'node:stream'

/** A running ProxyCommand as a stream ssh2 can use as its socket; `stderr()` is what it printed so far. */
export interface ProxyTransport {
  stream: Duplex
  stderr(): string
  /** Ends the process (by its PID) if it still runs. */
  stop(): void
}

const STDERR_KEPT = 4096

export function startProxyCommand(command: string): ProxyTransport {
  const shell = process.env.SHELL || '/bin/sh'
  const child = spawn(shell, ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-STDERR_KEPT)))
  const stream = Duplex.from({ readable: child.stdout, writable: child.stdin })
  // A proxy that exits or cannot start ends the stream; ssh2 then reports the lost connection.
  child.once('error', (err) => stream.destroy(err))
  stream.on('error', () => undefined)
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
  }
  stream.once('close', stop)
  return { stream, stderr: () => stderr.trim(), stop }
}
