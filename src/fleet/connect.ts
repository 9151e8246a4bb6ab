import type { Vm } from '../inventory/types.js'
import type { Secret } from '../secret.js'
import { connect } from '../ssh/connect.js'
import { resolveHops } from '../ssh/resolve.js'
import type { Connection } from '../ssh/types.js'

/** The SSH choices of a run that are not the inventory's. */
export interface SshChoices {
  acceptNewHostKeys: boolean
  /** Default ~/.ssh/config; "none" for none. */
  sshConfigFile?: string
}

/** The one way a run (and the wizard's login check) connects to a VM; a run names itself to hold the VM's lock. */
export function connectVm(vm: Vm, o: SshChoices, become?: Secret, lockHolder?: string): Promise<Connection> {
  return connect(vm.ssh, {
    knownHostsFile: vm.ssh.knownHostsFile,
    acceptNewHostKeys: o.acceptNewHostKeys,
    sshConfigFile: o.sshConfigFile,
    becomePassword: vm.become.password ?? become,
    lockHolder,
  })
}

/**
 * Resolves every VM's SSH hops (ssh -G, cached for the connections) before anything is contacted: an ssh_config
 * that ssh would refuse stops the whole run with exit 5, naming the file and line.
 */
export async function checkSshTargets(vms: Vm[], o: Pick<SshChoices, 'sshConfigFile'>): Promise<void> {
  await Promise.all(
    vms.map((vm) => resolveHops(vm.ssh, { sshConfigFile: o.sshConfigFile, knownHostsFile: vm.ssh.knownHostsFile })),
  )
}
