import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { InputError } from '../errors.js'

const run = promisify(execFile)

/** `-i ansible:SOURCE`: any inventory Ansible reads (INI, plugin configs such as aws_ec2.yml, scripts, directories). */
export const ANSIBLE_PREFIX = 'ansible:'

/**
 * Runs `ansible-inventory -i SOURCE --list` and returns its JSON: Ansible itself resolves dynamic inventories,
 * scripts and INI files, so meshvm reads the hosts exactly as Ansible would see them.
 */
export async function ansibleInventoryList(source: string, command = 'ansible-inventory'): Promise<string> {
  try {
    // a source Ansible cannot parse is an error, not a warning and an empty inventory
    const env = { ...process.env, ANSIBLE_INVENTORY_UNPARSED_FAILED: 'True' }
    const { stdout } = await run(command, ['-i', source, '--list'], { env, timeout: 300_000, maxBuffer: 256 << 20 })
    return stdout
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string }
    if (e.code === 'ENOENT') {
      throw new InputError(
        `${command} not found: -i ${ANSIBLE_PREFIX}${source} needs Ansible (Debian: apt-get install ansible)`,
      )
    }
    const detail = (e.stderr ?? '').trim().split('\n').filter(Boolean).slice(-3).join(' ') || e.message
    throw new InputError(`${command} -i ${source} --list failed: ${detail}`)
  }
}
