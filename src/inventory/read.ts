import { dirname } from 'node:path'
import { ANSIBLE_PREFIX, ansibleInventoryList } from './ansible-run.js'
import { applyLimit, limitTerms } from './limit.js'
import { parseInventory } from './parse.js'
import { readUserFile } from './read-text.js'
import type { Inventory } from './types.js'

export { InventoryError } from './problems.js'
export { applyLimit, limitTerms, writeFailedList } from './limit.js'
export { ansibleHosts, parseInventory } from './parse.js'

/**
 * Reads and checks an inventory file (or, for `ansible:SOURCE`, what `ansible-inventory -i SOURCE --list` prints),
 * then keeps the VMs `limit` selects (see applyLimit).
 */
export async function readInventory(file: string, opts: { limit?: string } = {}): Promise<Inventory> {
  const inventory = file.startsWith(ANSIBLE_PREFIX)
    ? fromAnsible(file.slice(ANSIBLE_PREFIX.length), file)
    : parseInventory(await readUserFile(file, `${file}: cannot read the inventory`), file)
  const read = await inventory
  if (opts.limit === undefined) return read
  return { ...read, vms: applyLimit(read.vms, await limitTerms(opts.limit)) }
}

async function fromAnsible(source: string, spec: string): Promise<Inventory> {
  const json = await ansibleInventoryList(source)
  return { ...parseInventory(json, `${spec} (ansible-inventory --list)`, dirname(source)), file: spec }
}
