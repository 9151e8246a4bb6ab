import { readFile } from 'node:fs/promises'
import { InputError } from '../errors.js'
import { applyLimit, limitTerms } from './limit.js'
import { parseInventory } from './parse.js'
import type { Inventory } from './types.js'

export { InventoryError } from './problems.js'
export { applyLimit, limitTerms, writeFailedList } from './limit.js'
export { parseInventory } from './parse.js'

/** Reads and checks an inventory file, then keeps the VMs `limit` selects (see applyLimit). */
export async function readInventory(file: string, opts: { limit?: string } = {}): Promise<Inventory> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new InputError(`${file}: cannot read the inventory: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
  }
  const inventory = parseInventory(text, file)
  if (opts.limit === undefined) return inventory
  return { ...inventory, vms: applyLimit(inventory.vms, await limitTerms(opts.limit)) }
}
