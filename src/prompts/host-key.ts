import { ExitCode, ExitError } from '../errors.js'
import type { SshTarget } from '../inventory/types.js'
import { connect, type ConnectOptions } from '../ssh/connect.js'
import { SshError } from '../ssh/errors.js'
import type { Ask } from './ask.js'

/**
 * Logs in once before anything runs, so a wrong address, key or password shows up at once. An unknown host key is
 * shown and, when the user trusts it, recorded (as OpenSSH's first-connection question); a changed key is refused.
 */
export async function loginOnce(ask: Ask, target: SshTarget, options: ConnectOptions): Promise<void> {
  try {
    await (await connect(target, options)).close()
  } catch (e) {
    if (!(e instanceof SshError) || e.kind !== 'hostkey' || !/is not known/.test(e.message)) throw e
    const key = /not known \(([^)]*)\)/.exec(e.message)?.[1] ?? 'its key'
    const where = target.port === 22 ? target.host : `[${target.host}]:${target.port}`
    const question = `The authenticity of ${where} can't be established: ${key}. Trust it and record it?`
    const trusted = await ask.confirm(question, { default: false })
    if (!trusted) throw new ExitError(`${where}: host key not trusted; nothing changed`, ExitCode.unreachable)
    await (await connect(target, { ...options, acceptNewHostKeys: true })).close()
  }
}
