import { ExitCode, ExitError } from '../errors.js'
import type { Vm } from '../inventory/types.js'
import { SshError } from '../ssh/errors.js'
import { connectVm, type SshChoices } from './connect.js'

/** Asked about a host key known_hosts does not hold: `where` as known_hosts names the host, `key` its type and fingerprint. */
export type TrustHostKey = (where: string, key: string) => Promise<boolean>

/**
 * Logs in once, exactly as the run will (same target, ssh_config and defaults), so a wrong address, key or password
 * shows up before anything runs. An unknown host key goes to `trust` and, when trusted, is recorded (as OpenSSH's
 * first-connection question); a changed key is refused.
 */
export async function checkLogin(vm: Vm, o: SshChoices, trust: TrustHostKey): Promise<void> {
  try {
    await (await connectVm(vm, o)).close()
  } catch (e) {
    const unknown =
      e instanceof SshError && e.kind === 'hostkey'
        ? /host key for (\S+) is not known \(([^)]*)\)/.exec(e.message)
        : null
    if (!unknown) throw e
    const [, where, key] = unknown
    if (!(await trust(where, key)))
      throw new ExitError(`${where}: host key not trusted; nothing changed`, ExitCode.unreachable)
    await (await connectVm(vm, { ...o, acceptNewHostKeys: true })).close()
  }
}
