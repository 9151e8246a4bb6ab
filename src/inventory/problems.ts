import { InputError } from '../errors.js'
import type { Problems } from '../problems.js'

/** Bad inventory: every problem found, one `<file>:<line>:<col>: <field path>: <problem>` line each, in file order. */
export class InventoryError extends InputError {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'))
    this.name = 'InventoryError'
  }
}

export function throwIfAny(problems: Problems): void {
  if (problems.count > 0) throw new InventoryError(problems.inFileOrder())
}
