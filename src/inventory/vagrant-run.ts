import { execFile } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { promisify } from 'node:util'
import { ExitError, InputError } from '../errors.js'
import { inventoryFromVagrant, parseVagrantSshConfig, pickPrivateIp } from './vagrant.js'

const run = promisify(execFile)

export interface VagrantOptions {
  /** The vagrant executable (default: `vagrant` on PATH). */
  vagrant?: string
}

/**
 * Runs `vagrant ssh-config` in `dir`, then `hostname -I` on each machine (`vagrant ssh <m> -c`) to find its
 * private-network address (see pickPrivateIp), and returns the meshvm inventory YAML for them.
 * Asking the machines, rather than reading the Vagrantfile, works for any Vagrantfile, however it computes its IPs.
 */
export async function inventoryFromVagrantDir(
  dir: string,
  defaults: Record<string, unknown>,
  options: VagrantOptions = {},
): Promise<string> {
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) throw new InputError(`${dir}: no such directory`)
  const sshConfig = await vagrant(dir, ['ssh-config'], options)
  const machines = parseVagrantSshConfig(sshConfig)
  if (machines.length === 0) throw new ExitError(`vagrant ssh-config in ${dir} listed no machine: run vagrant up first`)
  const ips: Record<string, string> = {}
  // one at a time: vagrant takes a lock per machine and fleets here are small
  for (const m of machines) {
    const ip = pickPrivateIp(await vagrant(dir, ['ssh', m.name, '-c', 'hostname -I'], options), m.hostName)
    if (ip) ips[m.name] = ip
  }
  return inventoryFromVagrant(sshConfig, ips, defaults)
}

async function vagrant(dir: string, args: string[], options: VagrantOptions): Promise<string> {
  const command = options.vagrant ?? 'vagrant'
  try {
    const { stdout } = await run(command, args, { cwd: dir, timeout: 180_000, maxBuffer: 16 << 20 })
    return stdout
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string }
    if (e.code === 'ENOENT') {
      throw new InputError(
        `${command} not found: install Vagrant (https://developer.hashicorp.com/vagrant/install) ` +
          'or write the inventory by hand (see inventory/example.yaml)',
      )
    }
    const detail = (e.stderr ?? '').trim().split('\n').slice(0, 3).join(' ') || e.message
    throw new ExitError(`vagrant ${args.join(' ')} in ${dir} failed (are the machines up?): ${detail}`)
  }
}

/** The Vagrant machines as a meshvm inventory of one app (`inventory from-vagrant` and `onboard --vagrant`). */
export function vagrantInventoryText(dir: string, app = 'vagrant-vm', namespace = 'vm-apps'): Promise<string> {
  return inventoryFromVagrantDir(dir, { app, namespace })
}
