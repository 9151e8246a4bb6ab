import { applyLimit, limitTerms } from './limit.js'
import { parseInventory } from './parse.js'
import { readUserFile } from './read-text.js'
import type { Inventory } from './types.js'

export { InventoryError } from './problems.js'
export { applyLimit, limitTerms, writeFailedList } from './limit.js'
export { parseInventory } from './parse.js'

/** Reads and checks an inventory file, then keeps the VMs `limit` selects (see applyLimit). */
export async function readInventory(file: string, opts: { limit?: string } = {}): Promise<Inventory> {
  const inventory = parseInventory(await readUserFile(file, `${file}: cannot read the inventory`), file)
  if (opts.limit === undefined) return inventory
  return { ...inventory, vms: applyLimit(inventory.vms, await limitTerms(opts.limit)) }
}
